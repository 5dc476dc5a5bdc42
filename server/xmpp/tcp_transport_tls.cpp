// The TLS half of tcp_transport: the handshake driven by readiness waits, and writes through
// the connection's tls_session (reads are in tcp_transport.cpp, beside the plaintext ones).
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/auth/kdf_pool.hpp"
#include "server/xmpp/tcp_transport.hpp"

namespace ofs::xmpp {
namespace asio = boost::asio;
using status = tls_session::status;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {
// One SSL_write takes at most this much of the outbox (records of 16 KiB each), so that a
// peer that reads slowly holds a bounded backlog of records.
constexpr std::size_t max_tls_batch_bytes = 256 * 1024;
constexpr std::size_t max_tls_batch_strings = 64;
}  // namespace

asio::awaitable<void> tcp_transport::direct_tls_handshake() {
  const bool ok = co_await tls_handshake();
  if (!ok) co_return driver_->on_closed();  // failed, or the watchdog closed it
  driver_->on_ready();
}

asio::awaitable<bool> tcp_transport::tls_handshake() {
  tls_ = std::make_unique<tls_session>(options_->tls->native_handle(), socket_.native_handle());
  for (;;) {
    const status st = co_await handshake_step();
    while (st != status::failed && !closed_ && tls_->has_backlog()) {  // our flight did not fit
      auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, nothrow);
      // Closed meanwhile (the login deadline): its descriptor may belong to another socket now.
      if (ec || closed_ || tls_->flush() == status::failed) break;
    }
    if (closed_) co_return false;  // the login deadline, or shutdown
    if (st == status::done && !tls_->has_backlog()) {
      spdlog::debug("{} {}: {} established{}", connection_id(), remote_,
                    SSL_get_version(tls_->native_handle()), tls_->resumed() ? ", resumed" : "");
      tls_more_ = true;  // the client's first stream bytes may have come with its Finished
      co_return true;
    }
    if (st != status::want_read || tls_->has_backlog()) {
      spdlog::debug("{} {}: TLS handshake failed: {}", connection_id(), remote_,
                    tls_->error().empty() ? "the connection closed" : tls_->error());
      close();
      co_return false;
    }
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, nothrow);
    if (ec || closed_) {
      close();
      co_return false;
    }
  }
}

// A handshake step's CPU (key exchange, signature, OpenSSL's per-handshake set-up: about
// 0.6 ms) runs on the handshake workers, below the I/O threads' priority, so that a storm of
// logins does not hold up the stanzas of established sessions. Inline when they are busy.
asio::awaitable<status> tcp_transport::handshake_step() {
  if (!options_->handshakes) co_return tls_->handshake();
  auto step = [tls = tls_.get()] { return tls->handshake(); };
  handshake_off_thread_ = true;
  auto [failure, done] = co_await options_->handshakes->async_run(std::move(step), nothrow);
  handshake_off_thread_ = false;
  if (closed_) {  // close() came meanwhile and left the socket to us
    boost::system::error_code ignored;
    socket_.close(ignored);
  }
  if (failure) std::rethrow_exception(failure);
  if (closed_) co_return status::failed;
  co_return done ? *done : tls_->handshake();  // refused (busy): here, as without workers
}

// The queued strings are joined into one SSL_write, whose records leave in one send(); what
// the socket does not take waits in tls_'s backlog, and the strings count as written only
// once all of it is out.
bool tcp_transport::write_tls_now() {
  thread_local std::string joined;
  while (!closed_) {
    if (tls_->has_backlog()) {
      const status st = tls_->flush();
      if (st == status::want_write) return false;
      if (st == status::failed) {
        spdlog::debug("{} {}: TLS write failed: {}", connection_id(), remote_, tls_->error());
        close();
        return false;
      }
    }
    if (tls_unsent_ > 0) consume(std::exchange(tls_unsent_, 0));  // callbacks may write or close
    if (closed_) return false;
    if (outbox_empty()) return true;
    std::string_view plain = std::string_view(outbox_[outbox_head_]).substr(front_offset_);
    if (outbox_.size() - outbox_head_ > 1) {
      joined.assign(plain);
      for (std::size_t i = outbox_head_ + 1; i < outbox_.size() && i - outbox_head_ < max_tls_batch_strings &&
                                             joined.size() < max_tls_batch_bytes;
           ++i)
        joined.append(outbox_[i]);
      plain = joined;
    }
    const bool ok = tls_->write(plain);
    tls_unsent_ = plain.size();
    if (joined.capacity() > 4 * max_tls_batch_bytes) std::string().swap(joined);
    if (!ok) {
      spdlog::debug("{} {}: TLS write failed: {}", connection_id(), remote_, tls_->error());
      close();
      return false;
    }
  }
  return false;
}

}  // namespace ofs::xmpp
