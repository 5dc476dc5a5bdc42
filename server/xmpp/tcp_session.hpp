#pragma once
// XMPP over TCP: the transport for c2s_stream on ports 5222 (STARTTLS) and 5223 (direct
// TLS, XEP-0368). All on the socket's strand, as plain completion handlers: a coroutine runs
// only while negotiation waits (TLS, SASL, storage), so an idle session holds one pending
// read, one timer and no parser (see hibernate_after).
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include "server/core/connection_tracker.hpp"
#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/transport.hpp"

namespace ofs::xmpp {

struct tcp_session_options {
  bool direct_tls = false;
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};  // then a ping; no answer within ping_timeout: closed
  std::chrono::seconds ping_timeout{30};
  // A bound session silent this long frees its XML parser until the next bytes come.
  std::chrono::seconds hibernate_after{2};
  std::size_t max_outbox_bytes = 4 << 20;  // a peer that does not read is closed past this
  xml::parser_limits limits;
  c2s_options c2s;
};

class tcp_session final : public transport, public std::enable_shared_from_this<tcp_session> {
public:
  tcp_session(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls, im::service& im,
              const tcp_session_options& opts);
  ~tcp_session() override;

  // Takes the connection (from any thread): TLS handshake first on the direct-TLS port, then
  // the stream. The ticket counts the connection until this object is gone.
  void start(core::connection_tracker::ticket ticket);
  // From any thread: end the stream with a stream error (shutdown sends "system-shutdown").
  void shut_down(std::string_view condition);
  boost::asio::any_io_executor executor() { return executor_; }

  // transport
  void post(std::function<void()> fn) override;
  void write(std::string bytes) override;
  void open_stream(std::string_view attributes) override;
  void close_stream() override;
  void close() override;
  bool tls_active() const override { return tls_stream_ != nullptr; }
  bool starttls_possible() const override { return !tls_stream_; }
  boost::asio::awaitable<bool> start_tls() override;
  auth::channel_binding channel_binding() const override;
  void restart_stream() override { parser_.reset(); }
  std::string remote_address() const override { return remote_; }
  bool remote_is_loopback() const override { return loopback_; }

private:
  // Reading: wait for bytes, parse, handle; stanzas of a bound session at once, the rest of
  // a batch through a coroutine when an event has to wait. Then read on.
  boost::asio::awaitable<void> direct_tls_handshake();
  void read_more();
  void on_bytes(std::size_t n);
  void handle_events();
  boost::asio::awaitable<void> handle_events_waiting(xml::stream_event first);
  void after_events();
  void finish();  // the connection is gone: leave the IM layer and close, once

  // Writing: what is queued goes out in one gathered write, at once when the socket takes it.
  void flush_outbox();
  bool write_plain_now();  // false: the socket is full (or the session closed)
  void consume(std::size_t bytes);
  bool outbox_empty() const { return outbox_head_ == outbox_.size(); }
  boost::asio::awaitable<void> drain();  // until the outbox is empty, before STARTTLS

  // The watchdog: login deadline, keepalive ping, close grace, parser hibernation.
  void arm_watchdog();
  void on_watchdog();
  std::chrono::steady_clock::time_point watchdog_deadline() const;

  // Plaintext sessions hold only the socket: the TLS stream (and OpenSSL's buffers, tens of
  // KiB) exists only once TLS starts, which keeps idle plaintext sessions small.
  using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<tls_stream> tls_stream_;
  std::unique_ptr<std::array<char, 4096>> tls_buffer_;
  std::string tls_out_;  // the batch being written through TLS
  boost::asio::ssl::context& tls_context_;
  im::service& im_;
  const tcp_session_options& options_;
  std::shared_ptr<c2s_stream> c2s_;
  xml::stream_parser parser_;
  boost::asio::steady_timer idle_;
  std::vector<std::string> outbox_;  // sent from outbox_head_, its first front_offset_ bytes out
  std::size_t outbox_head_ = 0, front_offset_ = 0, outbox_bytes_ = 0;
  bool writing_ = false;  // a flush is posted, waits for the socket, or a TLS write runs
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool ping_sent_ = false;
  bool hibernation_tried_ = false;  // since the last read
  bool bound_seen_ = false;
  bool finished_ = false;
  error_code parse_error_;  // reported once the events before it are handled
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> closing_since_;
  std::chrono::steady_clock::time_point last_read_ = started_;
  std::string remote_;
  bool loopback_ = false;
  std::optional<core::connection_tracker::ticket> ticket_;
};

}  // namespace ofs::xmpp
