#pragma once
// The one HTTP route table: every HTTP feature (metrics, BOSH, XCAP, status images, the web
// widget) mounts a handler at a path prefix. Filled at start-up, read-only afterwards.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "server/core/connection_tracker.hpp"

namespace ofs::http {

using request = boost::beast::http::request<boost::beast::http::string_body>;
using response = boost::beast::http::response<boost::beast::http::string_body>;
// How an upgraded connection ends at shutdown (e.g. a <system-shutdown/> stream error): the
// handler may set it; it is called on the connection's strand, and cleared when the handler
// returns. Unset, shutdown closes the socket.
using shutdown_hook = std::function<void(core::connection_tracker::close_mode)>;

// What a handler knows of the connection a request came on.
struct request_context {
  std::string remote;  // the peer's IP address, "unknown" if the socket cannot tell
  bool loopback = false;
  bool tls = false;  // HTTPS
  // A handler that holds its answer back (BOSH) may set how the connection ends at
  // shutdown, as an upgrade does; cleared once its response is written.
  std::shared_ptr<shutdown_hook> on_shutdown;
};
using handler = std::function<boost::asio::awaitable<response>(request, request_context)>;
// An upgrade (WebSocket) takes the connection over: its handler gets the request and the
// connection's stream, plain or TLS, and runs until the upgraded connection ends; the stream
// lives until it returns, then the connection closes.
using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream&>;
using upgrade_stream = std::variant<boost::beast::tcp_stream*, tls_stream*>;
using upgrade_handler =
    std::function<boost::asio::awaitable<void>(request, upgrade_stream, std::shared_ptr<shutdown_hook>)>;

class route_table {
public:
  // Serves `prefix` itself and everything below it ("/xcap-root" takes "/xcap-root/x").
  void add(std::string prefix, handler h);
  // The handler of the longest matching prefix, or nullptr.
  const handler* find(std::string_view target) const;
  // For WebSocket upgrade requests (Connection: upgrade, Upgrade: websocket) to `prefix`; a
  // plain request there still goes to the handler added with add().
  void add_upgrade(std::string prefix, upgrade_handler h);
  const upgrade_handler* find_upgrade(std::string_view target) const;
  // A streamed answer (Server-Sent Events): for requests under `prefix` that `accepts` takes,
  // the handler gets the connection's stream as an upgrade does, writes its own response and
  // runs until the answer ends; then the connection closes.
  using stream_filter = std::function<bool(const request&)>;
  void add_stream(std::string prefix, stream_filter accepts, upgrade_handler h);
  const upgrade_handler* find_stream(const request& req) const;

private:
  struct route {
    std::string prefix;
    handler fn;
  };
  struct upgrade_route {
    std::string prefix;
    upgrade_handler fn;
  };
  std::vector<route> routes_;
  std::vector<upgrade_route> upgrades_;
  struct stream_route {
    std::string prefix;
    stream_filter accepts;
    upgrade_handler fn;
  };
  std::vector<stream_route> streams_;
};

// The context of requests on a connection: its peer's address and whether it is TLS.
request_context context_of(const boost::asio::ip::tcp::socket& socket, bool tls);

// Browsers send Origin; other clients do not and are not subject to the list. An empty list
// allows any Origin, but only from loopback; "*" allows any; else an exact match ignoring case.
bool origin_allowed(const request& req, bool from_loopback, const std::vector<std::string>& allowed);

// A plain-text response; every error the HTTP stack sends has a body saying why.
response make_response(const request& req, boost::beast::http::status status, std::string body,
                       std::string_view content_type = "text/plain; charset=utf-8");

}  // namespace ofs::http
