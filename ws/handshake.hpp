#pragma once
// The checks of a WebSocket upgrade request before it is accepted (RFC 7395 3.2: the xmpp
// subprotocol; the Origin allow-list), and the answers to requests that are refused. Pure
// functions, no I/O.
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "ws/options.hpp"

namespace ofs::ws {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;

struct refusal {
  boost::beast::http::status status;
  std::string reason;
};

// True if a Sec-WebSocket-Protocol value (a comma-separated list) offers "xmpp".
bool offers_xmpp(std::string_view protocols);
// Browsers send Origin; other clients do not and are not subject to the list.
bool origin_allowed(const request& req, bool from_loopback, const options& opts);
// Why the upgrade request cannot be accepted, or nothing.
std::optional<refusal> check_upgrade(const request& req, bool from_loopback, const options& opts);

// The HTTP answer to a refused upgrade, with a body saying why; the connection then closes.
response refuse(const request& req, const refusal& r);
// A plain (non-upgrade) request to the endpoint: 426, saying how to connect.
response upgrade_required(const request& req);

}  // namespace ofs::ws
