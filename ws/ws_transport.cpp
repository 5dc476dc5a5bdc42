#include "ws/ws_transport.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ofs::ws {
namespace asio = boost::asio;
namespace websocket = boost::beast::websocket;
using clock = std::chrono::steady_clock;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);
constexpr std::string_view framing_open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' ";
constexpr std::string_view framing_close = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>";

ws_transport::ws_transport(std::unique_ptr<message_stream> stream, asio::any_io_executor ex,
                           connection_info info, std::size_t max_outbox_bytes)
    : stream_(std::move(stream)),
      executor_(ex),
      info_(std::move(info)),
      max_outbox_bytes_(max_outbox_bytes),
      read_wake_(ex, clock::time_point::max()),
      write_wake_(ex, clock::time_point::max()) {}

ws_transport::~ws_transport() = default;

asio::awaitable<void> ws_transport::run() {
  using namespace asio::experimental::awaitable_operators;
  co_await (read_loop() && write_loop());  // neither throws: both run to their end
}

void ws_transport::start() { driver_->on_ready(); }  // the WebSocket handshake is done

void ws_transport::read() {
  read_wanted_ = true;
  read_wake_.cancel();
}

asio::awaitable<void> ws_transport::read_loop() {
  for (;;) {
    while (!read_wanted_ && !closed_ && !protocol_close_) co_await read_wake_.async_wait(nothrow);
    if (closed_ || protocol_close_) break;
    read_wanted_ = false;
    auto r = co_await stream_->read();
    if (r.ec) break;  // closed by the peer, a protocol error Beast answered (1002, 1007, 1009), gone
    if (!r.text) {    // RFC 7395 3.2: XMPP is text only
      protocol_close_ = websocket::close_code::unknown_data;
      closing_handshake_ = true;
      wake_writer();
      break;
    }
    driver_->guarded([&] { driver_->on_input(stream_->message()); });
  }
  report_closed();
}

void ws_transport::report_closed() {
  closed_ = true;
  wake_writer();
  read_wake_.cancel();
  if (reported_closed_ || !driver_) return;
  reported_closed_ = true;
  driver_->guarded([&] { driver_->on_closed(); });
}

asio::awaitable<void> ws_transport::write_loop() {
  while (!protocol_close_) {
    if (outbox_.empty() || closed_) {
      if (closed_) break;
      if (close_after_flush_) {
        closing_handshake_ = true;
        co_await stream_->close(websocket::close_code::normal);
        break;
      }
      co_await write_wake_.async_wait(nothrow);
      continue;
    }
    std::string message = std::move(outbox_.front());
    outbox_.pop_front();
    outbox_bytes_ -= message.size();
    auto ec = co_await stream_->write(message);
    if (ec) break;
    ++written_total_;
    notify_written(true);
  }
  if (protocol_close_) co_await stream_->close(*protocol_close_);
  notify_written(false);
  report_closed();
}

void ws_transport::notify_written(bool written) {
  for (auto& fn : on_written_.take_due(written_total_, written)) driver_->guarded([&] { fn(written); });
}

void ws_transport::write(std::string bytes) {
  if (closed_ || close_after_flush_ || protocol_close_ || bytes.empty()) return;
  outbox_bytes_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  ++queued_total_;
  if (outbox_bytes_ > max_outbox_bytes_) {
    spdlog::warn("{} {}: the peer does not read; closing", connection_id(), info_.remote);
    return close();
  }
  wake_writer();
}

void ws_transport::write(std::string bytes, std::function<void(bool written)> done) {
  write(std::move(bytes));
  if (closed_) return done(false);
  on_written_.add(queued_total_, std::move(done));
}

void ws_transport::open_stream(std::string_view attributes) {
  std::string open(framing_open);
  open.append(attributes).append("/>");
  write(std::move(open));
}

void ws_transport::close_stream() {
  write(std::string(framing_close));
  close_after_flush_ = true;
  wake_writer();
}

void ws_transport::close() {
  if (closed_) return;
  closed_ = true;
  read_wake_.cancel();
  wake_writer();
  if (!closing_handshake_) stream_->abort();  // else the close frame goes out first, bounded
}

asio::awaitable<bool> ws_transport::start_tls() { co_return false; }

}  // namespace ofs::ws
