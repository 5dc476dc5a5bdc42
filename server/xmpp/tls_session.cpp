#include "server/xmpp/tls_session.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ofs::xmpp {
namespace {

// The records of one OpenSSL call collect here and go to the socket before the call returns,
// so one buffer per thread serves every connection on it.
std::string& collected() {
  thread_local std::string out;
  return out;
}
constexpr std::size_t kept_collect_capacity = 1 << 20;  // past a burst, given back

std::string openssl_error() {
  const unsigned long e = ERR_peek_last_error();
  std::string why;
  if (const char* reason = ERR_reason_error_string(e)) {
    why = reason;
  } else {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    why = e ? buf : "unknown error";
  }
  ERR_clear_error();  // the queue is per thread: other connections must not see it
  return why;
}

}  // namespace

// The BIO under every tls_session: reads recv() from the socket into OpenSSL's record buffer
// (allocated only while a record is in flight); writes only collect, send_output() sends.
struct socket_bio {
  static int write(BIO*, const char* data, int n) {
    collected().append(data, static_cast<std::size_t>(n));
    return n;
  }
  static int read(BIO* b, char* out, int n) {
    auto* s = static_cast<tls_session*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    for (;;) {
      const ssize_t got = ::recv(s->fd_, out, static_cast<std::size_t>(n), 0);
      if (got > 0) return static_cast<int>(got);
      if (got == 0) {
        s->eof_ = true;
        return 0;
      }
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        BIO_set_retry_read(b);
        return -1;
      }
      s->socket_errno_ = errno;
      return -1;
    }
  }
  static long ctrl(BIO*, int cmd, long, void*) { return cmd == BIO_CTRL_FLUSH ? 1 : 0; }
  static int create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
  }
  static BIO_METHOD* method() {
    static BIO_METHOD* const m = [] {
      BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "ofs socket");
      if (!m) throw std::runtime_error("cannot create the socket BIO method");
      BIO_meth_set_write(m, &write);
      BIO_meth_set_read(m, &read);
      BIO_meth_set_ctrl(m, &ctrl);
      BIO_meth_set_create(m, &create);
      return m;
    }();
    return m;
  }
};

tls_session::tls_session(SSL_CTX* ctx, int fd) : fd_(fd) {
  ERR_clear_error();
  ssl_ = SSL_new(ctx);
  BIO* bio = ssl_ ? BIO_new(socket_bio::method()) : nullptr;
  if (!bio) {
    SSL_free(ssl_);
    throw std::runtime_error("cannot allocate a TLS connection: " + openssl_error());
  }
  BIO_set_data(bio, this);
  SSL_set_bio(ssl_, bio, bio);  // one reference serves both directions
  // Idle connections hold no record buffer; read-ahead takes what the socket has in one recv().
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_set_read_ahead(ssl_, 1);
  SSL_set_options(ssl_, SSL_OP_NO_RENEGOTIATION);
  SSL_set_accept_state(ssl_);
}

tls_session::~tls_session() { SSL_free(ssl_); }

bool tls_session::resumed() const { return SSL_session_reused(ssl_) == 1; }

tls_session::status tls_session::result_of(int ret) {
  switch (SSL_get_error(ssl_, ret)) {
    case SSL_ERROR_WANT_READ: return status::want_read;
    case SSL_ERROR_ZERO_RETURN: error_ = "the peer closed TLS (close_notify)"; return status::closed;
    case SSL_ERROR_SYSCALL:
      fatal_ = true;
      error_ = socket_errno_ ? std::string("socket: ") + std::strerror(socket_errno_)
               : eof_        ? "the peer closed the connection"
                             : "TLS: " + openssl_error();
      return status::failed;
    case SSL_ERROR_SSL:
      fatal_ = true;
      error_ = eof_ ? "the peer closed the connection inside a TLS record or handshake"
                    : "TLS: " + openssl_error();
      ERR_clear_error();
      return status::failed;
    default:  // WANT_WRITE and friends: our BIO never asks to wait for them
      fatal_ = true;
      error_ = "TLS: unexpected state " + std::to_string(SSL_get_error(ssl_, ret));
      ERR_clear_error();
      return status::failed;
  }
}

tls_session::status tls_session::handshake() {
  ERR_clear_error();
  const int ret = SSL_do_handshake(ssl_);
  status st = ret == 1 ? status::done : result_of(ret);
  if (!send_output()) st = status::failed;  // an alert, if it failed, goes out first
  return st;
}

tls_session::read_result tls_session::read(std::span<char> out) {
  read_result r;
  while (r.bytes < out.size()) {
    ERR_clear_error();
    std::size_t n = 0;
    const int ret = SSL_read_ex(ssl_, out.data() + r.bytes, out.size() - r.bytes, &n);
    if (ret != 1) {
      r.state = result_of(ret);
      break;
    }
    r.bytes += n;
  }
  if (!send_output()) r.state = status::failed;  // a KeyUpdate answer, an alert
  return r;
}

bool tls_session::write(std::string_view plain) {
  if (plain.empty()) return true;
  ERR_clear_error();
  std::size_t n = 0;
  const int ret = SSL_write_ex(ssl_, plain.data(), plain.size(), &n);
  if (ret != 1) {
    result_of(ret);
    send_output();
    return false;
  }
  return send_output();
}

bool tls_session::shutdown() {
  if (fatal_ || !SSL_is_init_finished(ssl_)) return true;  // no close_notify after an error
  ERR_clear_error();
  if (SSL_shutdown(ssl_) < 0) {  // 0: ours is sent, the peer's not yet read, as wanted
    result_of(-1);
    send_output();
    return false;
  }
  const bool sent = send_output();
  SSL_free_buffers(ssl_);  // an alert's write buffer is kept, and the close may take seconds
  return sent;
}

bool tls_session::send_output() {
  auto& out = collected();
  if (out.empty()) return true;
  status st = status::want_write;
  if (backlog_.empty()) {  // the usual case: straight from the shared buffer
    std::size_t sent = 0;
    st = send_some(out, sent);
    if (st != status::failed && sent < out.size()) backlog_.assign(out, sent);
  } else {
    backlog_.append(out);  // after what is queued already
  }
  out.clear();
  if (out.capacity() > kept_collect_capacity) std::string().swap(out);
  return st != status::failed;
}

tls_session::status tls_session::send_some(std::string_view data, std::size_t& sent) {
  while (sent < data.size()) {
    const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (n >= 0) {
      sent += static_cast<std::size_t>(n);
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return status::want_write;
    error_ = std::string("socket: ") + std::strerror(errno);
    fatal_ = true;
    return status::failed;
  }
  return status::done;
}

tls_session::status tls_session::flush() {
  const status st = send_some(backlog_, backlog_sent_);
  if (st == status::done) {
    std::string().swap(backlog_);  // nothing held while idle
    backlog_sent_ = 0;
  }
  return st;
}

}  // namespace ofs::xmpp
