#pragma once
// One HTTP/1.1 connection, plain or TLS: reads requests (header checked before any body is
// read), answers each through the route table, keeps the connection alive between them.
// Runs on the connection's strand; the ticket counts it until it ends. The route table
// outlives every connection.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <memory>

#include "http/route_table.hpp"
#include "server/core/connection_tracker.hpp"

namespace ofs::http {

struct listener_options {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds request_timeout{30};  // from a request's first byte to its last
  std::chrono::seconds idle_timeout{60};     // between requests on a kept-alive connection
  unsigned max_connections = 10000;
  // Set: HTTPS. Shared so that a reload's new certificates leave open connections' context alive.
  std::shared_ptr<boost::asio::ssl::context> tls;
};

// on_shutdown: what the listener's closer runs, on the strand, if an upgrade set it.
boost::asio::awaitable<void> serve_connection(std::shared_ptr<boost::beast::tcp_stream> stream,
                                              const route_table& routes, listener_options opts,
                                              core::connection_tracker::ticket ticket,
                                              std::shared_ptr<shutdown_hook> on_shutdown);

}  // namespace ofs::http
