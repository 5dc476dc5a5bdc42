#include "server/core/tcp_listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

namespace ofs::core {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

tcp_listener::tcp_listener(asio::any_io_executor ex, std::string name, unsigned max_connections,
                           accept_fn on_accept, refuse_fn on_full)
    : strand_(asio::make_strand(ex)),
      acceptor_(strand_),
      backoff_(strand_),
      name_(std::move(name)),
      max_connections_(max_connections),
      on_accept_(std::move(on_accept)),
      on_full_(std::move(on_full)) {}

boost::system::error_code tcp_listener::listen(const tcp::endpoint& at) {
  boost::system::error_code ec;
  acceptor_.open(at.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(at, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }
  return ec;
}

tcp::endpoint tcp_listener::local_endpoint() const {
  boost::system::error_code ec;
  return acceptor_.local_endpoint(ec);
}

void tcp_listener::start() {
  asio::dispatch(strand_, [this] { accept_next(); });
}

void tcp_listener::stop_accepting() {
  asio::post(strand_, [this] {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    backoff_.cancel();
  });
}

void tcp_listener::accept_next() {
  if (!acceptor_.is_open()) return;
  auto where = placement_ ? placement_() : strand_.get_inner_executor();
  // A connection's strand hands its next handler to the thread that ran the last one, as a
  // continuation: waking another thread for it costs a context switch per message at a low
  // rate, and that thread may have to wait for a core.
  asio::any_io_executor same_thread =
      asio::prefer(std::move(where), asio::execution::relationship.continuation);
  acceptor_.async_accept(
      asio::make_strand(std::move(same_thread)),
      [this](boost::system::error_code ec, tcp::socket socket) { on_accepted(ec, std::move(socket)); });
}

void tcp_listener::on_accepted(boost::system::error_code ec, tcp::socket socket) {
  if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;  // stopping
  if (ec) {  // EMFILE and friends: back off instead of spinning
    spdlog::warn("{}: accept failed: {}", name_, ec.message());
    backoff_.expires_after(std::chrono::milliseconds(100));
    backoff_.async_wait([this](boost::system::error_code) { accept_next(); });
    return;
  }
  try {
    if (tracker_.size() >= max_connections_.load(std::memory_order_relaxed)) {
      on_full_(socket);
    } else {
      on_accept_(std::move(socket), tracker_);
    }
  } catch (const std::exception& x) {  // a bug in one connection's set-up: that one only
    spdlog::error("{}: setting up a connection failed: {}", name_, x.what());
  }
  accept_next();
}

}  // namespace ofs::core
