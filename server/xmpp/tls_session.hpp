#pragma once
// The server side of one TLS connection, OpenSSL driven directly on a non-blocking socket
// through a BIO of our own: no buffer of ours while idle, OpenSSL's record buffers released
// between records, and every record a call produces sent with one send(). No Asio: the
// transport waits for readiness and calls in again. Owned by one connection, on its strand.
#include <openssl/types.h>

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

namespace ofs::xmpp {

class tls_session {
public:
  enum class status {
    done,        // the call did what it was asked
    want_read,   // wait until the socket is readable, then call again
    want_write,  // flush(): the socket took part of the records; wait until it is writable
    closed,      // the peer sent close_notify
    failed,      // a TLS or socket error; error() says which
  };
  struct read_result {
    std::size_t bytes = 0;  // decrypted into the caller's buffer, whatever the status
    status state = status::done;
  };

  // A connection on fd (not owned) under ctx's settings (the SNI callback may switch it).
  // Throws std::runtime_error when OpenSSL cannot allocate it.
  tls_session(SSL_CTX* ctx, int fd);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  // The next step of the server handshake: done, want_read, closed or failed.
  status handshake();
  // Decrypts into out until it is full (done: more may wait) or the socket has nothing more
  // (want_read), or the peer closed or failed, reported after what came before it.
  read_result read(std::span<char> out);
  // Encrypts plain and sends its records at once; what the socket did not take stays queued
  // (has_backlog(), flush()). false on failure (error()).
  bool write(std::string_view plain);
  // Sends our close_notify (RFC 8446 6.1) after what is queued; the peer's is not awaited.
  bool shutdown();
  // Sends what is queued: done, want_write or failed.
  status flush();
  bool has_backlog() const { return backlog_sent_ < backlog_.size(); }

  SSL* native_handle() const { return ssl_; }
  bool resumed() const;
  // Why the last call failed, for a log line.
  const std::string& error() const { return error_; }

private:
  friend struct socket_bio;
  status result_of(int ret);  // SSL_get_error() of a call's return, error_ set on failure
  bool send_output();         // hands the records of the last call to the socket
  status send_some(std::string_view data, std::size_t& sent);

  SSL* ssl_ = nullptr;
  int fd_;
  int socket_errno_ = 0;  // of the last recv()/send() that failed
  bool eof_ = false;      // recv() returned 0
  bool fatal_ = false;    // OpenSSL forbids SSL_shutdown() after SSL_ERROR_SSL or _SYSCALL
  std::string backlog_;   // records the socket has not taken yet; empty while idle
  std::size_t backlog_sent_ = 0;
  std::string error_;
};

}  // namespace ofs::xmpp
