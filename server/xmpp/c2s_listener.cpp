#include "server/xmpp/c2s_listener.hpp"

#include <boost/asio/write.hpp>

namespace ofs::xmpp {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

c2s_listener::c2s_listener(asio::any_io_executor ex, std::string name, im::service& im,
                           tcp_transport_options opts, unsigned max_connections)
    : im_(im),
      options_(std::make_shared<const tcp_transport_options>(std::move(opts))),
      port_(
          std::move(ex), std::move(name), max_connections,
          [this](tcp::socket s, core::connection_tracker& t) { on_accept(std::move(s), t); },
          [this](tcp::socket& s) { refuse(s); }) {}

void c2s_listener::update(tcp_transport_options opts, unsigned max_connections) {
  options_.store(std::make_shared<const tcp_transport_options>(std::move(opts)));
  port_.set_max_connections(max_connections);
}

void c2s_listener::on_accept(tcp::socket socket, core::connection_tracker& tracker) {
  auto session = std::make_shared<tcp_transport>(std::move(socket), im_, options_.load());
  auto ticket =
      tracker.track([weak = std::weak_ptr<tcp_transport>(session)](core::connection_tracker::close_mode m) {
        auto s = weak.lock();
        if (!s) return;
        if (m == core::connection_tracker::close_mode::graceful)
          s->shut_down("system-shutdown");
        else
          s->abort();
      });
  session->start(std::move(ticket));
}

void c2s_listener::refuse(tcp::socket& socket) const {
  // RFC 6120 4.9.3.13 would need a stream first; a full server just says so and closes.
  static constexpr std::string_view full =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' "
      "version='1.0'><stream:error><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
      "</stream:error></stream:stream>";
  boost::system::error_code ignored;
  socket.non_blocking(true, ignored);  // small: fits the socket buffer, never waits
  if (!options_.load()->direct_tls) socket.write_some(asio::buffer(full), ignored);
}

}  // namespace ofs::xmpp
