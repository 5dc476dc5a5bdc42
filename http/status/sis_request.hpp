#pragma once
// What a request to the status image server asks for: the user (a bare JID, checked before
// anything looks it up), what to answer (image, JSON, HTML snippet, event stream) and the
// drawing options. Hostile names (traversal, NUL, controls, bidi overrides, overlong) and bad
// options are refused here with a 4xx and the reason.
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "render/status_image.hpp"
#include "server/core/jid.hpp"

namespace ofs::http::status {

enum class answer { png, svg, json, embed, events };

struct sis_request {
  core::jid user;  // bare, with a node
  answer kind = answer::png;
  render::options options;
  std::string token;  // the query's signed viewer token, if any ("viewer" is never read)
};

struct refusal {
  unsigned status = 400;
  std::string reason;
};

inline constexpr std::size_t max_target_bytes = 4096;

// target: the request target below the mount point, e.g. "/sis/alice@example.org.png?size=32".
std::variant<sis_request, refusal> parse_target(std::string_view target, std::string_view mount = "/sis");

// The canonical query of the options (what the embed snippet and cache keys use), e.g.
// "size=32&scale=2&style=badge&theme=dark".
std::string query_of(const render::options& o);

}  // namespace ofs::http::status
