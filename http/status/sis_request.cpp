#include "http/status/sis_request.hpp"

#include <glib.h>

#include <charconv>

#include "xcap/uri.hpp"

namespace ofs::http::status {
namespace {

refusal bad(std::string reason) { return {400, std::move(reason)}; }

// Controls (C0, DEL, C1) and the bidi controls that would make a name read otherwise.
bool forbidden(gunichar c) {
  return c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x061C || c == 0x200E || c == 0x200F ||
         (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069);
}

std::optional<refusal> check_name(std::string_view name) {
  if (name.empty()) return bad("no user in the path");
  if (name.size() > 3 * core::jid::max_part_bytes) return bad("the user's address is too long");
  if (name.find('/') != name.npos || name.find('\\') != name.npos)
    return bad("a user is a bare JID: no '/' or '\\'");
  if (name.starts_with('.') || name.find("..") != name.npos) return bad("'.' and '..' are not names");
  if (!g_utf8_validate(name.data(), static_cast<gssize>(name.size()), nullptr))
    return bad("the user's address is not UTF-8");
  for (const gchar* p = name.data(); p < name.data() + name.size(); p = g_utf8_next_char(p))
    if (forbidden(g_utf8_get_char(p))) return bad("control or bidi control character in the user's address");
  return std::nullopt;
}

std::optional<refusal> set_option(sis_request& r, std::string_view key, const std::string& value) {
  auto& o = r.options;
  if (key == "size") {
    int v = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (ec != std::errc() || end != value.data() + value.size() || v < render::min_size ||
        v > render::max_size)
      return bad("size: an integer from 16 to 128");
    o.size = v;
  } else if (key == "scale") {
    if (value != "1" && value != "2" && value != "2x") return bad("scale: 1 or 2");
    o.scale = value == "1" ? 1 : 2;
  } else if (key == "style") {
    if (value == "icon")
      o.style = render::style::icon;
    else if (value == "badge")
      o.style = render::style::badge;
    else if (value == "text")
      o.style = render::style::text;
    else
      return bad("style: icon, badge or text");
  } else if (key == "theme") {
    if (value == "light")
      o.theme = render::theme::light;
    else if (value == "dark")
      o.theme = render::theme::dark;
    else
      return bad("theme: light or dark");
  } else if (key == "token") {
    r.token = value;
  }
  // Anything else (a portal's cache buster, an unsigned "viewer") changes nothing.
  return std::nullopt;
}

}  // namespace

std::variant<sis_request, refusal> parse_target(std::string_view target, std::string_view mount) {
  if (target.size() > max_target_bytes) return refusal{414, "the request target is too long"};
  const auto q = target.find('?');
  std::string_view path = target.substr(0, q), query = q == target.npos ? "" : target.substr(q + 1);
  if (!path.starts_with(mount) || path.size() <= mount.size() + 1 || path[mount.size()] != '/')
    return refusal{404, "ask for /sis/<user@domain>.png (or .svg, .json, /embed, /events)"};
  std::string_view rest = path.substr(mount.size() + 1);

  sis_request r;
  constexpr std::pair<std::string_view, answer> suffixes[] = {{".png", answer::png},
                                                              {".svg", answer::svg},
                                                              {".json", answer::json},
                                                              {"/embed", answer::embed},
                                                              {"/events", answer::events}};
  bool known = false;
  for (const auto& [suffix, kind] : suffixes)
    if (rest.size() > suffix.size() && rest.ends_with(suffix)) {
      rest.remove_suffix(suffix.size());
      r.kind = kind;
      known = true;
      break;
    }
  if (!known) return refusal{404, "ask for /sis/<user@domain>.png (or .svg, .json, /embed, /events)"};
  auto name = xcap::percent_decode(rest);
  if (!name) return bad("bad percent-encoding or NUL in the user's address");
  if (auto why = check_name(*name)) return *why;
  auto user = core::jid::parse(*name);
  if (!user || !user->is_bare() || user->node().empty())
    return bad("not a user's bare JID (user@domain): " + std::string(rest.substr(0, 200)));
  r.user = *user;

  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == query.npos ? "" : query.substr(amp + 1);
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    auto key = xcap::percent_decode(pair.substr(0, eq));
    auto value = xcap::percent_decode(eq == pair.npos ? "" : pair.substr(eq + 1));
    if (!key || !value) return bad("bad percent-encoding in the query");
    if (auto why = set_option(r, *key, *value)) return *why;
  }
  if (r.kind == answer::svg) r.options.format = render::format::svg;
  return r;
}

std::string query_of(const render::options& o) {
  constexpr std::string_view styles[] = {"icon", "badge", "text"};
  return "size=" + std::to_string(o.size) + "&scale=" + std::to_string(o.scale) +
         "&style=" + std::string(styles[static_cast<int>(o.style)]) +
         "&theme=" + (o.theme == render::theme::dark ? "dark" : "light");
}

}  // namespace ofs::http::status
