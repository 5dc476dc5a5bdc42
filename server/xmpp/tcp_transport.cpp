#include "server/xmpp/tcp_transport.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <iterator>

namespace ofs::xmpp {
namespace asio = boost::asio;
using error_code = boost::system::error_code;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {
// Read data is fed to the parser before the next suspension, so one buffer per thread serves
// every plaintext session on it.
std::array<char, 64 * 1024>& shared_read_buffer() {
  thread_local std::array<char, 64 * 1024> buffer;
  return buffer;
}

// Gathered writes: at most this many queued strings per system call.
constexpr std::size_t max_batch = 64;
bool would_block(const error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}
void rethrow_if(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}
}  // namespace

tcp_transport::tcp_transport(asio::ip::tcp::socket socket, im::service& im,
                             std::shared_ptr<const tcp_transport_options> opts)
    : executor_(socket.get_executor()), socket_(std::move(socket)), im_(im), options_(std::move(opts)) {
  error_code ec;
  auto remote = socket_.remote_endpoint(ec);
  remote_ = ec ? "unknown" : remote.address().to_string();
  loopback_ = !ec && remote.address().is_loopback();
  socket_.set_option(asio::ip::tcp::no_delay(true), ec);
  socket_.non_blocking(true, ec);
}

tcp_transport::~tcp_transport() = default;

void tcp_transport::start(core::connection_tracker::ticket ticket) {
  stream_driver::launch(shared_from_this(), im_, *options_, std::move(ticket));
}

void tcp_transport::shut_down(std::string_view condition) {
  asio::post(executor_, [self = shared_from_this(), c = std::string(condition)] {
    if (auto session = self->session_.lock()) session->shut_down(c);
  });
}

void tcp_transport::abort() {
  asio::post(executor_, [self = shared_from_this()] { self->close(); });
}

void tcp_transport::attach(stream_driver& driver) {
  driver_ = &driver;
  session_ = driver.weak_from_this();
}

void tcp_transport::start() {
  if (!options_->direct_tls) return driver_->on_ready();
  asio::co_spawn(executor_, direct_tls_handshake(), driver_->handler(rethrow_if));
}

void tcp_transport::write(std::string bytes) {
  if (closed_) return;
  if (outbox_bytes_ + bytes.size() > options_->max_outbox_bytes) {
    spdlog::warn("{} {}: closed, the peer does not read ({} bytes waiting)", connection_id(), remote_,
                 outbox_bytes_);
    return close();
  }
  outbox_bytes_ += bytes.size();
  queued_total_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  if (writing_) return;
  writing_ = true;  // what else this handler queues goes out in the same write
  asio::defer(executor_, driver_->handler([this] { flush_outbox(); }));
}

void tcp_transport::write(std::string bytes, std::function<void(bool written)> done) {
  write(std::move(bytes));
  if (closed_) {  // never written: said from a handler of its own, not from inside this call
    asio::post(executor_, driver_->handler([done = std::move(done)] { done(false); }));
    return;
  }
  on_written_.emplace_back(queued_total_, std::move(done));
}

void tcp_transport::open_stream(std::string_view attributes) {
  std::string header =
      "<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
      "xmlns:stream='http://etherx.jabber.org/streams' ";
  header.append(attributes).append(">");
  write(std::move(header));
}

void tcp_transport::close_stream() {
  if (close_after_flush_) return;
  write("</stream:stream>");
  close_after_flush_ = true;
}

void tcp_transport::close() {
  if (closed_) return;
  closed_ = true;
  error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  // A worker still reading or writing the descriptor must not meet another connection's.
  if (!handshake_off_thread_) socket_.close(ignored);  // else handshake_step() closes it
  notify_written(false);
}

auth::channel_binding tcp_transport::channel_binding() const {
  if (!tls_) return {};
  return auth::channel_binding_of(tls_->native_handle());
}

// --- writing --------------------------------------------------------------------------------

void tcp_transport::consume(std::size_t bytes) {
  written_total_ += bytes;
  while (bytes > 0) {
    auto& front = outbox_[outbox_head_];
    const std::size_t left = front.size() - front_offset_;
    if (bytes < left) {
      front_offset_ += bytes;
      break;
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
  if (!on_written_.empty()) notify_written(true);
}

void tcp_transport::notify_written(bool written) {
  auto due = on_written_.begin();
  while (due != on_written_.end() && (!written || due->first <= written_total_)) ++due;
  if (due == on_written_.begin()) return;
  // Taken out first: a callback may write (and so queue another callback) or close.
  std::vector<std::pair<std::uint64_t, std::function<void(bool)>>> ready(
      std::make_move_iterator(on_written_.begin()), std::make_move_iterator(due));
  on_written_.erase(on_written_.begin(), due);
  for (auto& [mark, fn] : ready) fn(written);
}

bool tcp_transport::write_plain_now() {
  thread_local std::vector<asio::const_buffer> batch;
  while (!closed_ && !outbox_empty()) {
    batch.clear();
    for (std::size_t i = outbox_head_; i < outbox_.size() && batch.size() < max_batch; ++i)
      batch.push_back(asio::buffer(outbox_[i]) + (i == outbox_head_ ? front_offset_ : 0));
    error_code ec;
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

void tcp_transport::flush_outbox() {
  if (closed_) return;
  if (!(tls_ ? write_tls_now() : write_plain_now())) {
    if (!closed_) wait_writable();
    return;
  }
  writing_ = false;
  if (close_after_flush_ && !closed_) {
    if (tls_ && !close_notify_sent_) {
      close_notify_sent_ = true;
      if (!tls_->shutdown()) {
        spdlog::debug("{} {}: TLS close failed: {}", connection_id(), remote_, tls_->error());
        return close();
      }
      if (tls_->has_backlog()) {
        writing_ = true;
        return wait_writable();
      }
    }
    // RFC 6120 4.4: our side is done; the peer's </stream:stream> or EOF ends the connection
    // (or the close grace). Closing at once while its bytes are still arriving would reset
    // the connection, and a reset can destroy our last stanzas before the peer reads them.
    error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
  }
}

void tcp_transport::wait_writable() {
  socket_.async_wait(asio::ip::tcp::socket::wait_write, driver_->handler([this](error_code ec) {
    if (ec) return close();
    flush_outbox();
  }));
}

asio::awaitable<void> tcp_transport::drain() {
  while (!closed_ && !outbox_empty() && !write_plain_now()) {
    if (closed_) co_return;
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_write, nothrow);
    if (ec) close();
  }
}

asio::awaitable<bool> tcp_transport::start_tls() {
  co_await drain();  // <proceed/> goes out in clear, nothing else may
  if (closed_) co_return false;
  co_return co_await tls_handshake();
}

// --- reading --------------------------------------------------------------------------------

// Wait for readiness, then read into the per-thread buffer, so an idle session holds no read
// buffer. TLS decrypts into the same buffer (read_tls()).
void tcp_transport::read() {
  if (closed_) return driver_->on_closed();
  if (tls_ && tls_more_) {  // records (or their bytes) may wait already: no readiness to come
    asio::defer(executor_, driver_->handler([this] { read_tls(); }));
    return;
  }
  socket_.async_wait(asio::ip::tcp::socket::wait_read, driver_->handler([this](error_code ec) {
    if (ec) return driver_->on_closed();
    if (tls_) return read_tls();
    error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(shared_read_buffer()), rec);
    if (would_block(rec)) return read();
    if (rec) return driver_->on_closed();  // gone, reset, or closed by us
    driver_->on_input({shared_read_buffer().data(), n});
  }));
}

void tcp_transport::read_tls() {
  if (closed_) return driver_->on_closed();
  auto& buffer = shared_read_buffer();
  const auto [n, state] = tls_->read(buffer);
  tls_more_ = state == tls_session::status::done;
  if (state == tls_session::status::closed || state == tls_session::status::failed) {
    // What came before the end is still handled; the next read() reports the close.
    spdlog::debug("{} {}: TLS connection ends: {}", connection_id(), remote_, tls_->error());
    close();
  } else if (tls_->has_backlog() && !writing_) {  // a record of its own (KeyUpdate) is waiting
    writing_ = true;
    wait_writable();
  }
  if (n > 0) return driver_->on_input({buffer.data(), n});
  read();  // nothing whole yet (part of a record), or the close
}

}  // namespace ofs::xmpp
