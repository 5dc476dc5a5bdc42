#include "server/xmpp/tcp_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace ofs::xmpp {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr auto close_grace = std::chrono::seconds(5);  // to flush a closing stream

namespace {
// Read data is fed to the parser before the next suspension, so one buffer per thread serves
// every plaintext session on it.
std::array<char, 64 * 1024>& shared_read_buffer() {
  thread_local std::array<char, 64 * 1024> buffer;
  return buffer;
}
}  // namespace

tcp_session::tcp_session(asio::ip::tcp::socket socket, asio::ssl::context& tls, im::service& im,
                         const tcp_session_options& opts)
    : executor_(socket.get_executor()),
      socket_(std::move(socket)),
      tls_context_(tls),
      im_(im),
      options_(opts),
      parser_(opts.limits),
      wake_(executor_, clock::time_point::max()),
      idle_(executor_) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  remote_ = ec ? "unknown" : remote.address().to_string();
  loopback_ = !ec && remote.address().is_loopback();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

tcp_session::~tcp_session() = default;

asio::awaitable<void> tcp_session::run() {
  c2s_ = std::make_shared<c2s_stream>(shared_from_this(), im_, options_.c2s);
  if (options_.direct_tls) {
    using namespace asio::experimental::awaitable_operators;
    tls_stream_ = std::make_unique<tls_stream>(std::move(socket_), tls_context_);
    tls_buffer_ = std::make_unique<std::array<char, 4096>>();
    idle_.expires_after(options_.login_timeout);
    auto handshake = tls_stream_->async_handshake(asio::ssl::stream_base::server, nothrow);
    auto deadline = idle_.async_wait(nothrow);
    auto r = co_await (std::move(handshake) || std::move(deadline));
    if (r.index() != 0 || std::get<0>(std::get<0>(r))) {
      close();
      c2s_.reset();
      co_return;
    }
  }
  {
    using namespace asio::experimental::awaitable_operators;
    co_await (read_loop() || write_loop() || watchdog());
  }
  c2s_->on_closed();
  close();
  c2s_.reset();  // breaks the stream <-> transport cycle
}

void tcp_session::shut_down(std::string_view condition) {
  asio::post(executor(), [self = shared_from_this(), c = std::string(condition)] {
    if (self->c2s_ && !self->closed_) self->c2s_->stream_error(c);
  });
}

void tcp_session::post(std::function<void()> fn) { asio::post(executor(), std::move(fn)); }

void tcp_session::write(std::string bytes) {
  if (closed_) return;
  if (outbox_bytes_ + bytes.size() > options_.max_outbox_bytes) {
    spdlog::warn("c2s {}: closed, the peer does not read ({} bytes waiting)", remote_, outbox_bytes_);
    return close();
  }
  outbox_bytes_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  wake_.cancel();
}

void tcp_session::open_stream(std::string_view attributes) {
  std::string header =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' ";
  header.append(attributes).append(">");
  write(std::move(header));
}

void tcp_session::close_stream() {
  if (close_after_flush_) return;
  write("</stream:stream>");
  close_after_flush_ = true;
  wake_.cancel();
  idle_.cancel();  // the watchdog now gives the flush a few seconds, no more
}

void tcp_session::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  auto& socket = tls_stream_ ? tls_stream_->next_layer() : socket_;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  wake_.cancel();
  idle_.cancel();
}

auth::channel_binding tcp_session::channel_binding() const {
  if (!tls_stream_) return {};
  return auth::channel_binding_of(tls_stream_->native_handle());
}

asio::awaitable<void> tcp_session::flush() {
  while (!closed_ && (!outbox_.empty() || writing_)) {
    asio::steady_timer tick(executor(), std::chrono::milliseconds(1));
    co_await tick.async_wait(nothrow);
  }
}

asio::awaitable<bool> tcp_session::start_tls() {
  co_await flush();  // <proceed/> goes out in clear, nothing else may
  if (closed_) co_return false;
  tls_stream_ = std::make_unique<tls_stream>(std::move(socket_), tls_context_);
  tls_buffer_ = std::make_unique<std::array<char, 4096>>();
  auto [ec] = co_await tls_stream_->async_handshake(asio::ssl::stream_base::server, nothrow);
  if (ec) {
    spdlog::debug("c2s {}: TLS handshake failed: {}", remote_, ec.message());
    close();
    co_return false;
  }
  parser_.reset();  // plaintext pipelined after <starttls/> is dropped, never processed
  co_return true;
}

// Plaintext: wait for readiness, then read into a per-thread buffer, so an idle session
// holds no read buffer. TLS: the stream's own buffers plus a small one of ours.
asio::awaitable<std::size_t> tcp_session::read_some() {
  if (tls_stream_) {
    auto [ec, n] = co_await tls_stream_->async_read_some(asio::buffer(*tls_buffer_), nothrow);
    co_return ec ? 0 : n;
  }
  for (;;) {
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, nothrow);
    if (ec) co_return 0;
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(shared_read_buffer()), rec);
    if (rec == asio::error::would_block) continue;
    co_return rec ? 0 : n;
  }
}

asio::awaitable<void> tcp_session::read_loop() {
  for (;;) {
    if (closed_ || c2s_->closing()) {  // stop reading; the writer flushes and ends the session
      asio::steady_timer forever(executor(), clock::time_point::max());
      co_await forever.async_wait(nothrow);
      co_return;
    }
    std::size_t n = co_await read_some();
    if (n == 0) co_return;  // gone, reset, or closed by us
    last_read_ = clock::now();
    ping_sent_ = false;
    const char* data = tls_stream_ ? tls_buffer_->data() : shared_read_buffer().data();
    auto error = parser_.feed({data, n});  // the parser copies what it keeps
    while (!c2s_->closing()) {
      auto ev = parser_.next();
      if (!ev) break;
      co_await c2s_->on_event(std::move(*ev));
    }
    if (error && !c2s_->closing()) c2s_->on_parse_error(error);
  }
}

asio::awaitable<void> tcp_session::write_loop() {
  std::vector<asio::const_buffer> batch;
  for (;;) {
    if (closed_) co_return;
    if (outbox_.empty()) {
      if (close_after_flush_) co_return;
      co_await wake_.async_wait(nothrow);
      continue;
    }
    // Everything queued goes out in one gathered write.
    batch.clear();
    std::size_t count = std::min<std::size_t>(outbox_.size(), 64);
    for (std::size_t i = 0; i < count; ++i) batch.emplace_back(asio::buffer(outbox_[i]));
    writing_ = true;
    auto [ec, n] = tls_stream_ ? co_await asio::async_write(*tls_stream_, batch, nothrow)
                               : co_await asio::async_write(socket_, batch, nothrow);
    writing_ = false;
    if (ec) co_return;
    for (std::size_t i = 0; i < count; ++i) {
      outbox_bytes_ -= outbox_.front().size();
      outbox_.pop_front();
    }
  }
}

asio::awaitable<void> tcp_session::watchdog() {
  const auto started = clock::now();
  std::optional<clock::time_point> closing_since;
  for (;;) {
    clock::time_point deadline;
    if (closed_) co_return;
    if (c2s_->closing()) {
      if (!closing_since) closing_since = clock::now();
      deadline = *closing_since + close_grace;
    } else if (!c2s_->bound()) {
      deadline = started + options_.login_timeout;
    } else {
      deadline =
          last_read_ + options_.idle_timeout + (ping_sent_ ? options_.ping_timeout : clock::duration{});
    }
    if (clock::now() < deadline) {  // state changes that bring the deadline closer cancel idle_
      idle_.expires_at(deadline);
      co_await idle_.async_wait(nothrow);
      continue;
    }
    if (c2s_->closing()) co_return;  // the peer does not take our last bytes: give up
    if (c2s_->bound() && !ping_sent_) {
      ping_sent_ = true;  // XEP-0199: a silent peer gets one ping before it is dropped
      c2s_->send_ping();
      continue;
    }
    c2s_->on_timeout();
  }
}

}  // namespace ofs::xmpp
