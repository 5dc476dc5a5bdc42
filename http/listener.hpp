#pragma once
// The HTTP(S) listener: accepts connections, reads requests with size limits and timeouts,
// and answers each through the route table. One strand per connection.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "http/route_table.hpp"
#include "server/core/tcp_listener.hpp"

namespace ofs::http {

struct listener_options {
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::seconds timeout{30};  // for a whole request, and idle keep-alive
  unsigned max_connections = 10000;
};

class listener {
public:
  listener(boost::asio::any_io_executor ex, const route_table& routes, listener_options opts);
  ~listener();
  core::tcp_listener& port() { return *port_; }

private:
  void on_accept(boost::asio::ip::tcp::socket socket, core::connection_tracker& tracker);
  const route_table& routes_;
  listener_options options_;
  std::unique_ptr<core::tcp_listener> port_;
};

}  // namespace ofs::http
