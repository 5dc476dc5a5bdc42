#pragma once
// One listening TCP port of any front-end (c2s, HTTP; ICPP and SIP later): binds, accepts
// until stop_accepting(), refuses connections past the limit, and tracks every accepted one
// so that shutdown can close them and wait. The accept loop runs on its own strand; each
// connection gets a strand of its own, on the executor that placement chooses (an I/O
// thread of its own, io_threads) or else on the listener's.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <functional>
#include <string>

#include "server/core/connection_tracker.hpp"

namespace ofs::core {

class tcp_listener {
public:
  // Takes a new connection (on its own strand); registers it with tracker.track().
  using accept_fn = std::function<void(boost::asio::ip::tcp::socket, connection_tracker&)>;
  // Says "full" in the front-end's protocol, briefly and without blocking, before the close.
  using refuse_fn = std::function<void(boost::asio::ip::tcp::socket&)>;
  // Where the next connection lives; called on the accept strand.
  using placement_fn = std::function<boost::asio::any_io_executor()>;

  tcp_listener(boost::asio::any_io_executor ex, std::string name, unsigned max_connections,
               accept_fn on_accept, refuse_fn on_full);
  tcp_listener(const tcp_listener&) = delete;
  tcp_listener& operator=(const tcp_listener&) = delete;

  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  const std::string& name() const { return name_; }
  // A reload's new limit: applies to the next connections; open ones stay. Any thread.
  void set_max_connections(unsigned n) { max_connections_.store(n, std::memory_order_relaxed); }

  void set_placement(placement_fn p) { placement_ = std::move(p); }  // before start()
  void start();           // the accept loop; until stop_accepting()
  void stop_accepting();  // any thread
  void close_connections(connection_tracker::close_mode mode) { tracker_.close_all(mode); }
  bool wait_closed(std::chrono::steady_clock::time_point deadline) const {
    return tracker_.wait_empty(deadline);
  }
  std::size_t connections() const { return tracker_.size(); }

private:
  void accept_next();
  void on_accepted(boost::system::error_code ec, boost::asio::ip::tcp::socket socket);

  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer backoff_;
  std::string name_;
  std::atomic<unsigned> max_connections_;
  accept_fn on_accept_;
  refuse_fn on_full_;
  placement_fn placement_;
  connection_tracker tracker_;
};

}  // namespace ofs::core
