#pragma once
// The XCAP URI of RFC 4825 section 6: <root>/<auid>/users/<xui>/<document>[/~~/<node selector>]
// or <root>/<auid>/global/<document>..., with xmlns() bindings in the query. Every segment is
// percent-decoded once and checked: no "." or "..", no encoded '/', '\' or NUL, no control
// characters. Documents are keys in the store, never file names; the checks are a second wall.
#include <string>
#include <string_view>
#include <variant>

#include "xcap/node_selector.hpp"

namespace ofs::xcap {

struct xcap_uri {
  std::string auid;
  bool global = false;
  std::string xui;       // users/<xui>: as sent, decoded; empty for global
  std::string document;  // below users/<xui>/ or global/, e.g. "index" or "dir/doc"
  bool has_selector = false;
  std::string selector;  // decoded node selector
  ns_bindings prefixes;  // from the query's xmlns(prefix=uri) parts
};

struct uri_error {
  std::string why;  // a 400 or 404 says so
  bool not_found = false;
};

inline constexpr std::size_t max_document_bytes = 512;

// target: the request-target (origin form), root: "/xcap-root".
std::variant<xcap_uri, uri_error> parse_xcap_uri(std::string_view target, std::string_view root);

// Percent-decoding of one component; nullopt on a bad escape or a NUL.
std::optional<std::string> percent_decode(std::string_view in);

}  // namespace ofs::xcap
