#pragma once
// XMPP client connections on one port (STARTTLS or direct TLS): a tcp_transport for each,
// on its own strand. Shutdown asks every session for <system-shutdown/>, then, past the
// grace, closes what is left.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>

#include "server/core/tcp_listener.hpp"
#include "server/xmpp/tcp_transport.hpp"

namespace ofs::xmpp {

class c2s_listener {
public:
  c2s_listener(boost::asio::any_io_executor ex, std::string name, boost::asio::ssl::context& tls,
               im::service& im, tcp_transport_options opts, unsigned max_connections);
  core::tcp_listener& port() { return port_; }

private:
  void on_accept(boost::asio::ip::tcp::socket socket, core::connection_tracker& tracker);
  void refuse(boost::asio::ip::tcp::socket& socket) const;

  boost::asio::ssl::context& tls_;
  im::service& im_;
  tcp_transport_options options_;
  core::tcp_listener port_;  // last: its accept loop uses the members above
};

}  // namespace ofs::xmpp
