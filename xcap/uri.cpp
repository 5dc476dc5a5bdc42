#include "xcap/uri.hpp"

#include <optional>
#include <vector>

namespace ofs::xcap {
namespace {

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A path segment of the document selector, decoded: what may name a stored document.
std::optional<std::string> segment(std::string_view raw, std::string& why) {
  auto s = percent_decode(raw);
  if (!s) return why = "bad percent-encoding or NUL in the path", std::nullopt;
  if (s->empty()) return why = "empty path segment", std::nullopt;
  if (*s == "." || *s == "..") return why = "'.' and '..' segments are not allowed", std::nullopt;
  for (unsigned char c : *s)
    if (c < 0x20 || c == 0x7f || c == '/' || c == '\\')
      return why = "encoded '/', '\\' or control characters in a path segment", std::nullopt;
  return s;
}

// xmlns(p=uri)xmlns(q=uri)... (RFC 4825 6.4, the XPointer xmlns() scheme).
bool parse_query(std::string_view q, ns_bindings& out, std::string& why) {
  auto decoded = percent_decode(q);
  if (!decoded) return why = "bad percent-encoding in the query", false;
  std::string_view s = *decoded;
  while (!s.empty()) {
    if (s.front() == ' ') {
      s.remove_prefix(1);
      continue;
    }
    if (!s.starts_with("xmlns(")) return why = "the query holds only xmlns() parts", false;
    s.remove_prefix(6);
    auto close = s.find(')');
    auto eq = s.find('=');
    if (close == std::string_view::npos || eq == std::string_view::npos || eq > close)
      return why = "xmlns() is xmlns(prefix=namespace)", false;
    std::string prefix(s.substr(0, eq));
    std::string uri(s.substr(eq + 1, close - eq - 1));
    while (!prefix.empty() && prefix.back() == ' ') prefix.pop_back();
    while (!uri.empty() && uri.front() == ' ') uri.erase(0, 1);
    if (prefix.empty() || uri.empty() || out.size() >= 32) return why = "bad xmlns() binding", false;
    out[prefix] = uri;
    s.remove_prefix(close + 1);
  }
  return true;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (;;) {
    auto i = s.find(sep);
    out.push_back(s.substr(0, i));
    if (i == std::string_view::npos) return out;
    s.remove_prefix(i + 1);
  }
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return std::nullopt;
      int h = hex(in[i + 1]), l = hex(in[i + 2]);
      if (h < 0 || l < 0) return std::nullopt;
      c = static_cast<char>(h * 16 + l);
      i += 2;
    }
    if (c == '\0') return std::nullopt;
    out += c;
  }
  return out;
}

std::variant<xcap_uri, uri_error> parse_xcap_uri(std::string_view target, std::string_view root) {
  xcap_uri u;
  std::string why;
  auto qmark = target.find('?');
  std::string_view path = target.substr(0, qmark);
  if (qmark != std::string_view::npos && !parse_query(target.substr(qmark + 1), u.prefixes, why))
    return uri_error{why};
  if (!path.starts_with(root) || path.size() <= root.size() + 1 || path[root.size()] != '/')
    return uri_error{"not an XCAP URI: expected " + std::string(root) + "/<auid>/...", true};
  path.remove_prefix(root.size() + 1);
  // The node selector separator is the segment "~~" (RFC 4825 6.2), as sent, not decoded.
  std::string_view selector;
  if (auto sep = path.find("/~~/"); sep != std::string_view::npos) {
    selector = path.substr(sep + 4);
    path = path.substr(0, sep);
    u.has_selector = true;
    auto s = percent_decode(selector);
    if (!s || s->empty()) return uri_error{"bad or empty node selector"};
    u.selector = std::move(*s);
  }
  auto parts = split(path, '/');
  std::vector<std::string> seg;
  for (auto raw : parts) {
    auto s = segment(raw, why);
    if (!s) return uri_error{why};
    if (*s == "~~") return uri_error{"'~~' must be followed by a node selector"};
    seg.push_back(std::move(*s));
  }
  if (seg.size() < 3)
    return uri_error{"expected <auid>/users/<xui>/<document> or <auid>/global/<document>", true};
  u.auid = seg[0];
  std::size_t doc_from = 0;
  if (seg[1] == "global") {
    u.global = true;
    doc_from = 2;
  } else if (seg[1] == "users" && seg.size() >= 4) {
    u.xui = seg[2];
    doc_from = 3;
  } else {
    return uri_error{"expected 'users/<xui>/<document>' or 'global/<document>' after the auid", true};
  }
  for (std::size_t i = doc_from; i < seg.size(); ++i) {
    if (!u.document.empty()) u.document += '/';
    u.document += seg[i];
  }
  if (u.document.size() > max_document_bytes) return uri_error{"document name too long"};
  return u;
}

}  // namespace ofs::xcap
