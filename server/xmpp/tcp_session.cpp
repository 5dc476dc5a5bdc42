#include "server/xmpp/tcp_session.hpp"

#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <vector>

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

// Gathered writes: at most this many queued strings per system call.
constexpr std::size_t max_batch = 64;
bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
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
      idle_(executor_) {
  boost::system::error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  remote_ = ec ? "unknown" : remote.address().to_string();
  loopback_ = !ec && remote.address().is_loopback();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

tcp_session::~tcp_session() = default;

void tcp_session::start(core::connection_tracker::ticket ticket) {
  asio::dispatch(executor_, [self = shared_from_this(), t = std::move(ticket)]() mutable {
    self->ticket_.emplace(std::move(t));
    self->c2s_ = std::make_shared<c2s_stream>(self, self->im_, self->options_.c2s);
    if (!self->options_.direct_tls) {
      self->arm_watchdog();
      return self->read_more();
    }
    asio::co_spawn(self->executor_, self->direct_tls_handshake(), [self](std::exception_ptr e) {
      if (e) self->finish();
    });
  });
}

asio::awaitable<void> tcp_session::direct_tls_handshake() {
  tls_stream_ = std::make_unique<tls_stream>(std::move(socket_), tls_context_);
  tls_buffer_ = std::make_unique<std::array<char, 4096>>();
  idle_.expires_after(options_.login_timeout);
  idle_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (!ec) self->close();  // the handshake took too long
  });
  auto [ec] = co_await tls_stream_->async_handshake(asio::ssl::stream_base::server, nothrow);
  idle_.cancel();
  if (ec || closed_) co_return finish();
  arm_watchdog();
  read_more();
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
  if (writing_) return;
  writing_ = true;  // what else this handler queues goes out in the same write
  asio::post(executor_, [self = shared_from_this()] { self->flush_outbox(); });
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
  idle_.cancel();  // the watchdog now gives the flush a few seconds, no more
}

void tcp_session::close() {
  if (closed_) return;
  closed_ = true;
  boost::system::error_code ignored;
  auto& socket = tls_stream_ ? tls_stream_->next_layer() : socket_;
  socket.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  idle_.cancel();
}

auth::channel_binding tcp_session::channel_binding() const {
  if (!tls_stream_) return {};
  return auth::channel_binding_of(tls_stream_->native_handle());
}

// --- writing --------------------------------------------------------------------------------

void tcp_session::consume(std::size_t bytes) {
  while (bytes > 0) {
    auto& front = outbox_[outbox_head_];
    const std::size_t left = front.size() - front_offset_;
    if (bytes < left) {
      front_offset_ += bytes;
      return;
    }
    bytes -= left;
    outbox_bytes_ -= front.size();
    front = std::string();
    ++outbox_head_;
    front_offset_ = 0;
  }
  if (outbox_empty()) {
    outbox_.clear();
    outbox_head_ = 0;
    if (outbox_.capacity() > max_batch) std::vector<std::string>().swap(outbox_);  // after a burst
  }
}

bool tcp_session::write_plain_now() {
  thread_local std::vector<asio::const_buffer> batch;
  while (!closed_ && !outbox_empty()) {
    batch.clear();
    for (std::size_t i = outbox_head_; i < outbox_.size() && batch.size() < max_batch; ++i)
      batch.push_back(asio::buffer(outbox_[i]) + (i == outbox_head_ ? front_offset_ : 0));
    boost::system::error_code ec;
    std::size_t n = socket_.write_some(batch, ec);
    if (would_block(ec)) return false;
    if (ec) {
      close();
      return false;
    }
    consume(n);
  }
  return !closed_;
}

void tcp_session::flush_outbox() {
  if (closed_) return;
  if (tls_stream_ && !outbox_empty()) {
    // TLS writes one buffer per record: the batch is joined first, so that it becomes one
    // record and one system call rather than one per stanza.
    tls_out_.clear();
    for (std::size_t i = outbox_head_; i < outbox_.size() && i - outbox_head_ < max_batch; ++i)
      tls_out_.append(std::string_view(outbox_[i]).substr(i == outbox_head_ ? front_offset_ : 0));
    asio::async_write(*tls_stream_, asio::buffer(tls_out_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                        if (ec) return self->close();
                        self->consume(n);
                        if (self->outbox_empty() && self->tls_out_.capacity() > 4096)
                          std::string().swap(self->tls_out_);  // after a burst
                        self->flush_outbox();
                      });
    return;
  }
  if (!tls_stream_ && !write_plain_now()) {
    if (closed_) return;
    socket_.async_wait(asio::ip::tcp::socket::wait_write,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (ec) return self->close();
                         self->flush_outbox();
                       });
    return;
  }
  writing_ = false;
  if (close_after_flush_) close();
}

asio::awaitable<void> tcp_session::drain() {
  while (!closed_ && !outbox_empty() && !write_plain_now()) {
    if (closed_) co_return;
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, nothrow);
    if (ec) close();
  }
}

asio::awaitable<bool> tcp_session::start_tls() {
  co_await drain();  // <proceed/> goes out in clear, nothing else may
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

// --- reading --------------------------------------------------------------------------------

// Plaintext: wait for readiness, then read into a per-thread buffer, so an idle session
// holds no read buffer. TLS: the stream's own buffers plus a small one of ours.
void tcp_session::read_more() {
  if (closed_) return finish();
  if (tls_stream_) {
    tls_stream_->async_read_some(asio::buffer(*tls_buffer_),
                                 [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                   if (ec) return self->finish();
                                   self->on_bytes(n);
                                 });
    return;
  }
  socket_.async_wait(asio::ip::tcp::socket::wait_read,
                     [self = shared_from_this()](boost::system::error_code ec) {
                       if (ec) return self->finish();
                       boost::system::error_code rec;
                       std::size_t n = self->socket_.read_some(asio::buffer(shared_read_buffer()), rec);
                       if (would_block(rec)) return self->read_more();
                       if (rec) return self->finish();  // gone, reset, or closed by us
                       self->on_bytes(n);
                     });
}

void tcp_session::on_bytes(std::size_t n) {
  if (c2s_->closing()) return read_more();  // the stream is ending: what the peer still sends is dropped
  last_read_ = clock::now();
  ping_sent_ = hibernation_tried_ = false;
  const char* data = tls_stream_ ? tls_buffer_->data() : shared_read_buffer().data();
  parse_error_ = parser_.feed({data, n});  // the parser copies what it keeps
  handle_events();
}

void tcp_session::handle_events() {
  try {
    while (!c2s_->closing()) {
      auto ev = parser_.next();
      if (!ev) break;
      if (c2s_->handle_now(*ev)) continue;
      asio::co_spawn(executor_, handle_events_waiting(std::move(*ev)),
                     [self = shared_from_this()](std::exception_ptr e) {
                       if (!e) return;
                       try {
                         std::rethrow_exception(e);
                       } catch (const std::exception& x) {
                         spdlog::error("c2s {}: session failed: {}", self->remote_, x.what());
                       }
                       self->finish();
                     });
      return;
    }
  } catch (const std::exception& x) {
    spdlog::error("c2s {}: session failed: {}", remote_, x.what());
    return finish();
  }
  after_events();
}

asio::awaitable<void> tcp_session::handle_events_waiting(xml::stream_event first) {
  co_await c2s_->on_event(std::move(first));
  while (!c2s_->closing()) {
    auto ev = parser_.next();
    if (!ev) break;
    co_await c2s_->on_event(std::move(*ev));
  }
  after_events();
}

void tcp_session::after_events() {
  if (parse_error_ && !c2s_->closing()) c2s_->on_parse_error(parse_error_);
  parse_error_ = {};
  if (!bound_seen_ && c2s_->bound()) {
    bound_seen_ = true;
    idle_.cancel();  // the watchdog's deadlines change once the session is bound
  }
  read_more();
}

void tcp_session::finish() {
  if (finished_) return;
  finished_ = true;
  if (c2s_) c2s_->on_closed();
  close();
  c2s_.reset();  // breaks the stream <-> transport cycle
}

// --- the watchdog ---------------------------------------------------------------------------

clock::time_point tcp_session::watchdog_deadline() const {
  if (c2s_->closing()) return *closing_since_ + close_grace;
  if (!c2s_->bound()) return started_ + options_.login_timeout;
  auto deadline =
      last_read_ + options_.idle_timeout + (ping_sent_ ? options_.ping_timeout : clock::duration{});
  if (!hibernation_tried_) deadline = std::min(deadline, last_read_ + options_.hibernate_after);
  return deadline;
}

void tcp_session::arm_watchdog() {
  if (closed_) return;
  if (c2s_->closing() && !closing_since_) closing_since_ = clock::now();
  idle_.expires_at(watchdog_deadline());
  // Also called when cancelled: a state change (closing) may have brought the deadline closer.
  idle_.async_wait([self = shared_from_this()](boost::system::error_code) { self->on_watchdog(); });
}

void tcp_session::on_watchdog() {
  if (closed_) return;
  const auto now = clock::now();
  if (c2s_->closing() && !closing_since_) closing_since_ = now;
  if (c2s_->bound() && !c2s_->closing() && !hibernation_tried_ &&
      now >= last_read_ + options_.hibernate_after) {
    hibernation_tried_ = true;  // once per silence; refused mid-stanza, which is rare and fine
    parser_.hibernate();
  }
  if (now >= watchdog_deadline()) {
    if (c2s_->closing()) return close();  // the peer does not take our last bytes: give up
    if (c2s_->bound() && !ping_sent_) {
      ping_sent_ = true;  // XEP-0199: a silent peer gets one ping before it is dropped
      c2s_->send_ping();
    } else {
      c2s_->on_timeout();
    }
  }
  arm_watchdog();
}

}  // namespace ofs::xmpp
