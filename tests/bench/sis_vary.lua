-- wrk script of the sis scenario's uncached run: each request asks for the status image at
-- the given path with other options (size 16..128, scale 1..2, three styles, two themes:
-- 1,356 images), so that the server's image cache (64 KiB in the benchmark) seldom has it.
local n = 0
local styles = {"icon", "badge", "text"}
local themes = {"light", "dark"}

request = function()
  n = n + 1
  local size = 16 + n % 113
  local scale = 1 + math.floor(n / 113) % 2
  local style = styles[1 + math.floor(n / 226) % 3]
  local theme = themes[1 + math.floor(n / 678) % 2]
  local path = wrk.path:gsub("%?.*", "")
  return wrk.format(nil, path .. "?size=" .. size .. "&scale=" .. scale .. "&style=" .. style .. "&theme=" .. theme)
end
