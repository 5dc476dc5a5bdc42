#pragma once
// XMPP over WebSocket (RFC 7395): the transport of a stream_driver on an accepted WebSocket
// connection. One message in is one XML document for the driver; every write() goes out as
// one message. Two coroutines on the connection's strand, reading and writing; run() ends
// when both have.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/xmpp/stream_driver.hpp"
#include "server/xmpp/transport.hpp"
#include "server/xmpp/write_callbacks.hpp"
#include "ws/message_stream.hpp"

namespace ofs::ws {

struct connection_info {
  bool tls = false;  // wss://
  bool loopback = false;
  std::string remote;
};

class ws_transport final : public xmpp::transport, public std::enable_shared_from_this<ws_transport> {
public:
  ws_transport(std::unique_ptr<message_stream> stream, boost::asio::any_io_executor ex, connection_info info,
               std::size_t max_outbox_bytes);
  ~ws_transport() override;

  // Moves messages until the connection has ended both ways. The caller keeps the stream's
  // lower layers alive until then.
  boost::asio::awaitable<void> run();

  // xmpp::transport
  xmpp::input_framing framing() const override { return xmpp::input_framing::documents; }
  boost::asio::any_io_executor executor() const override { return executor_; }
  void attach(xmpp::stream_driver& driver) override { driver_ = &driver; }
  void start() override;
  void read() override;
  void write(std::string bytes) override;
  void write(std::string bytes, std::function<void(bool written)> done) override;
  void open_stream(std::string_view attributes) override;
  void close_stream() override;
  void close() override;
  xml::write_context output_context() const override { return {"", true}; }
  bool tls_active() const override { return info_.tls; }
  bool starttls_possible() const override { return false; }  // TLS is the URL's: wss://
  boost::asio::awaitable<bool> start_tls() override;
  // COMPAT: no SCRAM-*-PLUS: web clients cannot read a WebSocket's TLS channel binding
  // (browsers do not expose it), and some (stanza 12) pick -PLUS when offered, then fail.
  auth::channel_binding channel_binding() const override { return {}; }
  std::string remote_address() const override { return info_.remote; }
  bool remote_is_loopback() const override { return info_.loopback; }
  std::string_view kind() const override { return "websocket"; }

private:
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  void wake_writer() { write_wake_.cancel(); }
  void notify_written(bool written);
  void report_closed();

  std::unique_ptr<message_stream> stream_;
  boost::asio::any_io_executor executor_;
  connection_info info_;
  std::size_t max_outbox_bytes_;
  xmpp::stream_driver* driver_ = nullptr;  // owns this; set by attach()
  boost::asio::steady_timer read_wake_, write_wake_;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  xmpp::write_callbacks on_written_;  // each due once written_total_ messages are out
  std::uint64_t queued_total_ = 0, written_total_ = 0;
  bool read_wanted_ = false;
  bool close_after_flush_ = false;
  bool closing_handshake_ = false;  // a close frame is due or being sent
  bool closed_ = false;
  bool reported_closed_ = false;
  // A WebSocket-level close the transport decides itself (a binary message: 1003).
  std::optional<boost::beast::websocket::close_code> protocol_close_;
};

}  // namespace ofs::ws
