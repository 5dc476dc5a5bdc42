#include "server/xmpp/c2s_listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "server/core/listen.hpp"

namespace ofs::xmpp {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

c2s_listener::c2s_listener(asio::any_io_executor ex, asio::ssl::context& tls, im::service& im,
                           tcp_session_options opts, unsigned max_connections)
    : acceptor_(ex), tls_(tls), im_(im), options_(std::move(opts)), max_connections_(max_connections) {}

boost::system::error_code c2s_listener::listen(const tcp::endpoint& at) {
  return core::open_acceptor(acceptor_, at);
}

tcp::endpoint c2s_listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

asio::awaitable<void> c2s_listener::run() {
  for (;;) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(acceptor_.get_executor()), nothrow);
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) {  // EMFILE and friends: back off instead of spinning
      spdlog::warn("c2s: accept failed: {}", ec.message());
      asio::steady_timer pause(acceptor_.get_executor(), std::chrono::milliseconds(100));
      co_await pause.async_wait(nothrow);
      continue;
    }
    if (tracker_.size() >= max_connections_) {
      // RFC 6120 4.9.3.13 would need a stream first; a full server just says so and closes.
      static constexpr std::string_view full =
          "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
          "xmlns:stream='http://etherx.jabber.org/streams' "
          "version='1.0'><stream:error><resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
          "</stream:error></stream:stream>";
      boost::system::error_code ignored;
      if (!options_.direct_tls) asio::write(socket, asio::buffer(full), ignored);
      continue;
    }
    auto session = std::make_shared<tcp_session>(std::move(socket), tls_, im_, options_);
    auto ticket = tracker_.track([weak = std::weak_ptr<tcp_session>(session)] {
      if (auto s = weak.lock()) s->shut_down("system-shutdown");
    });
    session->start(std::move(ticket));
  }
}

void c2s_listener::stop() {
  asio::post(acceptor_.get_executor(), [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  });
  tracker_.close_all();
}

}  // namespace ofs::xmpp
