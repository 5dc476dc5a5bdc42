#pragma once
// XMPP over TCP: the transport for c2s_stream on ports 5222 (STARTTLS) and 5223 (direct
// TLS, XEP-0368). read_loop || write_loop || watchdog, all on the socket's strand.
#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <memory>

#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/transport.hpp"

namespace ofs::xmpp {

struct tcp_session_options {
  bool direct_tls = false;
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};  // then a ping; no answer within ping_timeout: closed
  std::chrono::seconds ping_timeout{30};
  std::size_t max_outbox_bytes = 4 << 20;  // a peer that does not read is closed past this
  parser_limits limits;
  c2s_options c2s;
};

class tcp_session final : public transport, public std::enable_shared_from_this<tcp_session> {
public:
  tcp_session(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls, im::service& im,
              const tcp_session_options& opts);
  ~tcp_session() override;

  boost::asio::awaitable<void> run();
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
  boost::asio::awaitable<void> read_loop();
  boost::asio::awaitable<void> write_loop();
  boost::asio::awaitable<void> watchdog();
  boost::asio::awaitable<void> flush();
  boost::asio::awaitable<std::size_t> read_some();  // 0: the connection is gone

  // Plaintext sessions hold only the socket: the TLS stream (and OpenSSL's buffers, tens of
  // KiB) exists only once TLS starts, which keeps idle plaintext sessions small.
  using tls_stream = boost::asio::ssl::stream<boost::asio::ip::tcp::socket>;
  boost::asio::any_io_executor executor_;
  boost::asio::ip::tcp::socket socket_;
  std::unique_ptr<tls_stream> tls_stream_;
  std::unique_ptr<std::array<char, 4096>> tls_buffer_;
  boost::asio::ssl::context& tls_context_;
  im::service& im_;
  const tcp_session_options& options_;
  std::shared_ptr<c2s_stream> c2s_;
  stream_parser parser_;
  boost::asio::steady_timer wake_, idle_;
  std::deque<std::string> outbox_;
  std::size_t outbox_bytes_ = 0;
  bool writing_ = false;
  bool close_after_flush_ = false;
  bool closed_ = false;
  bool ping_sent_ = false;
  std::chrono::steady_clock::time_point last_read_ = std::chrono::steady_clock::now();
  std::string remote_;
  bool loopback_ = false;
};

}  // namespace ofs::xmpp
