#pragma once
// XMPP client connections on one port (STARTTLS or direct TLS): a tcp_transport for each,
// on its own strand. Shutdown asks every session for <system-shutdown/>, then, past the
// grace, closes what is left.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <memory>

#include "server/core/tcp_listener.hpp"
#include "server/xmpp/tcp_transport.hpp"

namespace ofs::xmpp {

class c2s_listener {
public:
  // opts.tls must be set.
  c2s_listener(boost::asio::any_io_executor ex, std::string name, im::service& im, tcp_transport_options opts,
               unsigned max_connections);
  core::tcp_listener& port() { return port_; }
  // A reload: connections accepted from now on take these settings; open ones keep theirs.
  void update(tcp_transport_options opts, unsigned max_connections);

private:
  void on_accept(boost::asio::ip::tcp::socket socket, core::connection_tracker& tracker);
  void refuse(boost::asio::ip::tcp::socket& socket) const;

  im::service& im_;
  std::atomic<std::shared_ptr<const tcp_transport_options>> options_;  // read once per connection
  core::tcp_listener port_;  // last: its accept loop uses the members above
};

}  // namespace ofs::xmpp
