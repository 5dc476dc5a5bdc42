#include "ws/handshake.hpp"

#include <algorithm>
#include <boost/beast/http/field.hpp>
#include <cctype>

namespace ofs::ws {
namespace bhttp = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

response text_response(const request& req, bhttp::status status, std::string body) {
  response res(status, req.version());
  res.set(bhttp::field::content_type, "text/plain; charset=utf-8");
  res.set(bhttp::field::server, "OFS");
  res.body() = std::move(body) + "\n";
  res.keep_alive(false);
  res.prepare_payload();
  return res;
}

}  // namespace

bool offers_xmpp(std::string_view protocols) {
  while (!protocols.empty()) {
    auto comma = protocols.find(',');
    if (trim(protocols.substr(0, comma)) == "xmpp") return true;
    if (comma == std::string_view::npos) break;
    protocols.remove_prefix(comma + 1);
  }
  return false;
}

bool origin_allowed(const request& req, bool from_loopback, const options& opts) {
  auto it = req.find(bhttp::field::origin);
  if (it == req.end()) return true;
  if (opts.allowed_origins.empty()) return from_loopback;
  std::string_view origin = trim(it->value());
  return std::any_of(opts.allowed_origins.begin(), opts.allowed_origins.end(),
                     [&](const std::string& o) { return o == "*" || iequals(o, origin); });
}

std::optional<refusal> check_upgrade(const request& req, bool from_loopback, const options& opts) {
  if (!offers_xmpp(req[bhttp::field::sec_websocket_protocol]))
    return refusal{bhttp::status::bad_request,
                   "XMPP over WebSocket (RFC 7395) needs the 'xmpp' subprotocol in Sec-WebSocket-Protocol"};
  if (!origin_allowed(req, from_loopback, opts))
    return refusal{bhttp::status::forbidden, "Origin '" + std::string(req[bhttp::field::origin]) +
                                                 "' is not allowed ([websocket] allowed_origins)"};
  return std::nullopt;
}

response refuse(const request& req, const refusal& r) {
  return text_response(req, r.status, std::string(bhttp::obsolete_reason(r.status)) + ": " + r.reason);
}

response upgrade_required(const request& req) {
  auto res = text_response(req, bhttp::status::upgrade_required,
                           "Upgrade Required: this is the XMPP over WebSocket endpoint (RFC 7395); connect "
                           "with a WebSocket client offering the 'xmpp' subprotocol");
  res.set(bhttp::field::upgrade, "websocket");
  res.set(bhttp::field::sec_websocket_protocol, "xmpp");
  return res;
}

}  // namespace ofs::ws
