#pragma once
// XMPP over TCP (RFC 6120): the transport of a stream_driver on ports 5222 (STARTTLS) and
// 5223 (direct TLS, XEP-0368). Completion handlers on the socket's strand, no coroutine: an
// idle session, plaintext or TLS, holds one pending readiness wait and no buffer; reads go
// through one buffer per thread; writes go out as one gathered write, or under TLS as one
// SSL_write whose records leave in one send() (tls_session).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <utility>
#include <vector>

#include "server/core/connection_tracker.hpp"
#include "server/xmpp/stream_driver.hpp"
#include "server/xmpp/tls_session.hpp"
#include "server/xmpp/transport.hpp"

namespace ofs::auth {
class kdf_pool;
}

namespace ofs::xmpp {

struct tcp_transport_options : stream_driver_options {
  // STARTTLS and direct TLS; shared so that a reload's new certificates leave the contexts
  // of open connections alive.
  std::shared_ptr<boost::asio::ssl::context> tls;
  bool direct_tls = false;
  std::size_t max_outbox_bytes = 4 << 20;  // a peer that does not read is closed past this
  auth::kdf_pool* handshakes = nullptr;    // runs TLS handshake steps (null: on the I/O thread)
};

class tcp_transport final : public transport, public std::enable_shared_from_this<tcp_transport> {
public:
  // opts: the listener's settings when the connection came, kept for its whole life.
  tcp_transport(boost::asio::ip::tcp::socket socket, im::service& im,
                std::shared_ptr<const tcp_transport_options> opts);
  ~tcp_transport() override;

  // Takes the connection (from any thread) and runs a stream_driver on it; the ticket counts
  // the connection until the session is gone.
  void start(core::connection_tracker::ticket ticket);
  // From any thread: end the stream with a stream error (shutdown sends "system-shutdown").
  void shut_down(std::string_view condition);
  // From any thread: close the connection at once (shutdown, past its grace).
  void abort();

  // transport
  input_framing framing() const override { return input_framing::byte_stream; }
  boost::asio::any_io_executor executor() const override { return executor_; }
  void attach(stream_driver& driver) override;
  void start() override;
  void read() override;
  void write(std::string bytes) override;
  void write(std::string bytes, std::function<void(bool written)> done) override;
  void open_stream(std::string_view attributes) override;
  void close_stream() override;
  void close() override;
  bool tls_active() const override { return tls_ != nullptr; }
  bool starttls_possible() const override { return !tls_; }
  boost::asio::awaitable<bool> start_tls() override;
  auth::channel_binding channel_binding() const override;
  std::string remote_address() const override { return remote_; }
  bool remote_is_loopback() const override { return loopback_; }
  std::string_view kind() const override { return "tcp"; }

private:
  // TLS (tcp_transport_tls.cpp): the handshake on readiness waits, then reads and writes
  // through tls_.
  boost::asio::awaitable<void> direct_tls_handshake();
  boost::asio::awaitable<bool> tls_handshake();
  boost::asio::awaitable<tls_session::status> handshake_step();
  void read_tls();
  bool write_tls_now();  // false: the socket is full (or the connection closed)

  // Writing: what is queued goes out in one gathered write, at once when the socket takes it.
  void flush_outbox();
  void wait_writable();    // then flush_outbox()
  bool write_plain_now();  // false: the socket is full (or the connection closed)
  void consume(std::size_t bytes);
  bool outbox_empty() const { return outbox_head_ == outbox_.size(); }
  boost::asio::awaitable<void> drain();  // until the outbox is empty, before STARTTLS
  void notify_written(bool written);     // runs the write callbacks that are due

  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<tls_session> tls_;  // once TLS starts
  std::size_t tls_unsent_ = 0;        // queued bytes whose records wait in tls_'s backlog
  bool tls_more_ = false;             // the last TLS read filled the buffer: more may wait
  bool close_notify_sent_ = false;
  bool handshake_off_thread_ = false;  // a worker is inside tls_: close() leaves the socket open
  im::service& im_;
  std::shared_ptr<const tcp_transport_options> options_;
  stream_driver* driver_ = nullptr;       // owns this; set by attach()
  std::weak_ptr<stream_driver> session_;  // for shut_down(), which may outlive it
  std::vector<std::string> outbox_;       // sent from outbox_head_, its first front_offset_ bytes out
  std::size_t outbox_head_ = 0, front_offset_ = 0, outbox_bytes_ = 0;
  // Write callbacks, each due once written_total_ reaches its mark (a vector: an empty
  // deque allocates).
  std::vector<std::pair<std::uint64_t, std::function<void(bool)>>> on_written_;
  std::uint64_t queued_total_ = 0, written_total_ = 0;
  bool writing_ = false;  // a flush is posted, waits for the socket, or a TLS write runs
  bool close_after_flush_ = false;
  bool closed_ = false;
  std::string remote_;
  bool loopback_ = false;
};

}  // namespace ofs::xmpp
