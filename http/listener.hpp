#pragma once
// The HTTP(S) listener: accepts connections, reads requests with size limits and timeouts,
// and answers each through the route table. One strand per connection.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <memory>

#include "http/route_table.hpp"
#include "server/core/connection_tracker.hpp"

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
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  // Accepts until stop(); each connection runs on its own strand.
  boost::asio::awaitable<void> run();
  // Stops accepting and closes every open connection (from any thread).
  void stop();
  std::size_t connections() const { return tracker_.size(); }

private:
  struct impl;
  std::unique_ptr<impl> impl_;
  core::connection_tracker tracker_;
};

}  // namespace ofs::http
