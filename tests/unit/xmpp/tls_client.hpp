#pragma once
// A TLS client for tests, blocking and bounded in time: OpenSSL on memory BIOs, pumped to
// and from its own loopback socket, so a test can also send raw bytes, cut a record, or
// hand its bytes to the server one at a time.
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace ofs::xmpp::test {

class tls_client {
public:
  // Connected to 127.0.0.1:port; nothing sent yet. resume: a session to offer (tickets).
  tls_client(std::uint16_t port, SSL_CTX* ctx, SSL_SESSION* resume = nullptr, int receive_buffer = 0);
  ~tls_client();
  tls_client(const tls_client&) = delete;
  tls_client& operator=(const tls_client&) = delete;

  // Each byte TLS sends goes out alone, and delivered() is awaited before the next one.
  void trickle(std::function<bool()> delivered) { trickle_ = std::move(delivered); }

  // Before TLS (STARTTLS): plain bytes, and a read of plain bytes until `marker`.
  void send_raw(std::string_view bytes);
  bool read_raw_until(std::string_view marker);

  bool handshake();
  bool send(std::string_view text);
  // Reads decrypted text into received() until it holds `marker`; false on end or timeout.
  bool read_until(std::string_view marker);
  // Reads until the TLS stream ends: SSL_ERROR_ZERO_RETURN after the peer's close_notify,
  // another SSL_ERROR_* otherwise, -1 on timeout.
  int read_to_end();
  // The record bytes `text` becomes, without sending them.
  std::string encrypt(std::string_view text);
  // True when the server closed the connection (EOF or reset) within the time limit.
  bool server_closed();

  std::string& received() { return received_; }
  bool resumed() const;
  SSL_SESSION* session() const;  // a new reference (SSL_SESSION_free), nullptr if none
  int fd() const { return fd_; }

private:
  bool pump_out();
  bool pump_in();  // one recv() into the TLS input; false on EOF, error or timeout
  template <class Op>
  int drive(Op op);

  int fd_ = -1;
  SSL* ssl_ = nullptr;
  BIO* in_ = nullptr;   // owned by ssl_
  BIO* out_ = nullptr;  // owned by ssl_
  std::function<bool()> trickle_;
  std::string received_;
  std::chrono::milliseconds limit_{5000};
};

}  // namespace ofs::xmpp::test
