#pragma once
// Accepts XMPP client connections on one port (STARTTLS or direct TLS) and runs a
// tcp_session for each, on its own strand. Tracks them for the connection limit and for a
// clean shutdown (every session gets <system-shutdown/>).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server/core/connection_tracker.hpp"
#include "server/xmpp/tcp_session.hpp"

namespace ofs::xmpp {

class c2s_listener {
public:
  c2s_listener(boost::asio::any_io_executor ex, boost::asio::ssl::context& tls, im::service& im,
               tcp_session_options opts, unsigned max_connections);
  boost::system::error_code listen(const boost::asio::ip::tcp::endpoint& at);
  boost::asio::ip::tcp::endpoint local_endpoint() const;
  boost::asio::awaitable<void> run();
  void stop();  // any thread: stop accepting, shut every session down
  std::size_t connections() const { return tracker_.size(); }

private:
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::ssl::context& tls_;
  im::service& im_;
  tcp_session_options options_;
  unsigned max_connections_;
  core::connection_tracker tracker_;
};

}  // namespace ofs::xmpp
