#include "ws/handshake.hpp"

#include <boost/beast/http/field.hpp>

#include "http/route_table.hpp"

namespace ofs::ws {
namespace bhttp = boost::beast::http;

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
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
  return http::origin_allowed(req, from_loopback, opts.allowed_origins);
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
