#pragma once
// The HTTP(S) listener: accepts connections, reads requests with size limits and timeouts,
// and answers each through the route table. One strand per connection.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <memory>

#include "http/connection.hpp"
#include "server/core/tcp_listener.hpp"

namespace ofs::http {

class listener {
public:
  // name: "http" or "https" (opts.tls set), for logs and the ports list.
  listener(boost::asio::any_io_executor ex, std::string name, const route_table& routes,
           listener_options opts);
  ~listener();
  core::tcp_listener& port() { return *port_; }
  // A reload: connections accepted from now on take these settings; open ones keep theirs.
  void update(listener_options opts);

private:
  void on_accept(boost::asio::ip::tcp::socket socket, core::connection_tracker& tracker);
  const route_table& routes_;
  std::atomic<std::shared_ptr<const listener_options>> options_;  // read once per connection
  std::unique_ptr<core::tcp_listener> port_;
};

}  // namespace ofs::http
