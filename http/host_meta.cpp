#include "http/host_meta.hpp"

#include <boost/beast/http/field.hpp>
#include <cctype>
#include <cstdio>

namespace ofs::http {
namespace bhttp = boost::beast::http;

namespace {

constexpr std::string_view websocket_rel = "urn:xmpp:alt-connections:websocket";
constexpr std::string_view bosh_rel = "urn:xmpp:alt-connections:xbosh";

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

// host[:port] with host a DNS name, an IPv4 address or an IPv6 literal; the host's length.
std::optional<std::size_t> authority_host_length(std::string_view a) {
  std::size_t n = 0;
  if (a.starts_with('[')) {
    n = a.find(']');
    if (n == a.npos || n < 3) return std::nullopt;
    for (char c : a.substr(1, n - 1))
      if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.') return std::nullopt;
    ++n;
  } else {
    while (n < a.size() && (is_alnum(a[n]) || a[n] == '-' || a[n] == '.' || a[n] == '_')) ++n;
    if (n == 0) return std::nullopt;
  }
  if (n > 253) return std::nullopt;
  auto rest = a.substr(n);
  if (rest.empty()) return n;
  if (rest.size() < 2 || rest.size() > 6 || rest[0] != ':') return std::nullopt;
  for (char c : rest.substr(1))
    if (!is_digit(c)) return std::nullopt;
  return n;
}

void escape_xml(std::string& out, std::string_view s) {
  for (char c : s) switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '\'': out += "&apos;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
}

void escape_json(std::string& out, std::string_view s) {
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(c);
    }
  }
}

}  // namespace

std::optional<std::string> host_of(std::string_view host_header) {
  auto n = authority_host_length(host_header);
  if (!n) return std::nullopt;
  return std::string(host_header.substr(0, *n));
}

bool valid_public_url(std::string_view url) {
  std::string_view rest;
  if (url.starts_with("https://"))
    rest = url.substr(8);
  else if (url.starts_with("http://"))
    rest = url.substr(7);
  else
    return false;
  auto slash = rest.find('/');
  if (!authority_host_length(rest.substr(0, slash))) return false;
  if (slash == rest.npos) return true;
  for (char c : rest.substr(slash))
    if (!is_alnum(c) && std::string_view("-._~/%").find(c) == std::string_view::npos) return false;
  return true;
}

std::string to_xrd(const std::vector<alt_connection>& links) {
  std::string out =
      "<?xml version='1.0' encoding='utf-8'?>\n<XRD xmlns='http://docs.oasis-open.org/ns/xri/xrd-1.0'>\n";
  for (const auto& l : links) {
    out += "  <Link rel='";
    escape_xml(out, l.rel);
    out += "' href='";
    escape_xml(out, l.href);
    out += "'/>\n";
  }
  return out + "</XRD>\n";
}

std::string to_jrd(const std::vector<alt_connection>& links) {
  std::string out = "{\"links\":[";
  for (std::size_t i = 0; i < links.size(); ++i) {
    out += i ? ",{\"rel\":\"" : "{\"rel\":\"";
    escape_json(out, links[i].rel);
    out += "\",\"href\":\"";
    escape_json(out, links[i].href);
    out += "\"}";
  }
  return out + "]}\n";
}

std::vector<alt_connection> host_meta::links(const std::string& host, const request_context& info) const {
  std::vector<alt_connection> out;
  if (!options_.public_url.empty()) {
    const bool secure = options_.public_url.starts_with("https:");
    const auto rest = options_.public_url.substr(secure ? 5 : 4);  // "://host/path"
    out.push_back({std::string(websocket_rel), (secure ? "wss" : "ws") + rest + "/xmpp-websocket"});
    out.push_back({std::string(bosh_rel), options_.public_url + "/http-bind"});
    return out;
  }
  if (auto port = std::to_string(https_port_.load()); https_port_.load() != 0) {
    out.push_back({std::string(websocket_rel), "wss://" + host + ":" + port + "/xmpp-websocket"});
    out.push_back({std::string(bosh_rel), "https://" + host + ":" + port + "/http-bind"});
  }
  const bool may_log_in_plain = info.loopback || options_.allow_plain_http_logins;
  if (!info.tls && http_port_.load() != 0 && may_log_in_plain) {
    auto port = std::to_string(http_port_.load());
    out.push_back({std::string(websocket_rel), "ws://" + host + ":" + port + "/xmpp-websocket"});
    out.push_back({std::string(bosh_rel), "http://" + host + ":" + port + "/http-bind"});
  }
  return out;
}

response host_meta::serve(const request& req, const request_context& info, bool json) const {
  if (req.method() != bhttp::verb::get && req.method() != bhttp::verb::head) {
    auto res = make_response(req, bhttp::status::method_not_allowed,
                             "Method not allowed: host-meta takes GET and HEAD");
    res.set(bhttp::field::allow, "GET, HEAD");
    return res;
  }
  std::string host;
  if (options_.public_url.empty()) {
    auto h = host_of(req[bhttp::field::host]);
    if (!h)
      return make_response(req, bhttp::status::bad_request,
                           "Bad Request: the Host header is not a host name");
    host = std::move(*h);
  }
  auto found = links(host, info);
  auto res = json
                 ? make_response(req, bhttp::status::ok, to_jrd(found), "application/json")
                 : make_response(req, bhttp::status::ok, to_xrd(found), "application/xrd+xml; charset=utf-8");
  res.set(bhttp::field::access_control_allow_origin, "*");  // XEP-0156 section 3: for web clients
  res.set(bhttp::field::cache_control, "no-cache");         // varies with the listener and the peer
  return res;
}

}  // namespace ofs::http
