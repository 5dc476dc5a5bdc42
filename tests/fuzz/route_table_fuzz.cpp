// Arbitrary request targets into http::route_table::find. Checks it against a plain model of
// the rule: the longest mounted prefix that equals the path (the target before '?') or is
// followed in it by '/'; "/" takes everything.
// Input: byte 0 picks which of the prefixes below are mounted (one bit each); the rest is the target.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "http/route_table.hpp"

namespace {

using namespace ofs::http;

// The real mounts, the planned ones, and the edge cases of add(): trailing '/', nesting, "/".
constexpr std::string_view prefixes[8] = {"/metrics",   "/health", "/xcap-root/", "/xcap-root/users",
                                          "/http-bind", "/sis",    "/",           "/metrics/x"};

void require(bool ok, const char* what, std::string_view target) {
  if (ok) return;
  std::fprintf(stderr, "%s: target \"%.*s\"\n", what, static_cast<int>(target.size()), target.data());
  std::abort();
}

std::string_view normalized(std::string_view p) {
  return p.size() > 1 && p.back() == '/' ? p.substr(0, p.size() - 1) : p;
}

bool model_matches(std::string_view path, std::string_view prefix) {
  return prefix == "/" || path == prefix ||
         (path.size() > prefix.size() && path.substr(0, prefix.size()) == prefix &&
          path[prefix.size()] == '/');
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mounted = data[0];
  std::string_view target(reinterpret_cast<const char*>(data) + 1, size - 1);

  route_table routes;
  for (int i = 0; i < 8; ++i)
    if (mounted & (1u << i))
      routes.add(std::string(prefixes[i]),
                 [](request, request_context) -> boost::asio::awaitable<response> { co_return response{}; });

  // Which handler each mounted prefix owns: find(prefix) itself must give it.
  const handler* owner[8] = {};
  for (int i = 0; i < 8; ++i)
    if (mounted & (1u << i)) {
      owner[i] = routes.find(normalized(prefixes[i]));
      require(owner[i] != nullptr, "a mounted prefix does not find itself", prefixes[i]);
    }

  std::string_view path = target.substr(0, target.find('?'));
  int best = -1;
  for (int i = 0; i < 8; ++i)
    if ((mounted & (1u << i)) && model_matches(path, normalized(prefixes[i])) &&
        (best < 0 || normalized(prefixes[i]).size() > normalized(prefixes[best]).size()))
      best = i;

  const handler* found = routes.find(target);
  require(found == (best < 0 ? nullptr : owner[best]), "find() differs from the longest-prefix rule", target);
  return 0;
}
