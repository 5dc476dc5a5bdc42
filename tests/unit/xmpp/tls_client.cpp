#include "tests/unit/xmpp/tls_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/bio.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ofs::xmpp::test {
namespace {

bool send_all(int fd, const char* data, std::size_t n) {
  while (n > 0) {
    const ssize_t sent = ::send(fd, data, n, MSG_NOSIGNAL);
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false;
    data += sent;
    n -= static_cast<std::size_t>(sent);
  }
  return true;
}

enum class input { data, end, timeout };

input receive(int fd, std::string& into, std::chrono::milliseconds limit) {
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit.count())) != 1) return input::timeout;
  char buf[16384];
  const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
  if (n <= 0) return input::end;
  into.append(buf, static_cast<std::size_t>(n));
  return input::data;
}

}  // namespace

tls_client::tls_client(std::uint16_t port, SSL_CTX* ctx, SSL_SESSION* resume, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(port);
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("test client: connect: ") + std::strerror(errno));
  }
  ssl_ = SSL_new(ctx);
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);
  SSL_set_connect_state(ssl_);
  SSL_set_tlsext_host_name(ssl_, "example.com");
  if (resume) SSL_set_session(ssl_, resume);
}

tls_client::~tls_client() {
  SSL_free(ssl_);
  ::close(fd_);
}

void tls_client::send_raw(std::string_view bytes) { send_all(fd_, bytes.data(), bytes.size()); }

bool tls_client::read_raw_until(std::string_view marker) {
  while (received_.find(marker) == std::string::npos)
    if (receive(fd_, received_, limit_) != input::data) return false;
  return true;
}

bool tls_client::pump_out() {
  char buf[16384];
  int n;
  while ((n = BIO_read(out_, buf, sizeof buf)) > 0) {
    if (!trickle_) {
      if (!send_all(fd_, buf, static_cast<std::size_t>(n))) return false;
      continue;
    }
    for (int i = 0; i < n; ++i)
      if (!send_all(fd_, buf + i, 1) || !trickle_()) return false;
  }
  return true;
}

// Runs op (an SSL call) until it succeeds: SSL_ERROR_NONE, the error that stopped it, or -1
// when nothing came within the limit.
template <class Op>
int tls_client::drive(Op op) {
  for (;;) {
    const int ret = op();
    if (!pump_out()) return SSL_ERROR_SYSCALL;
    if (ret > 0) return SSL_ERROR_NONE;
    const int err = SSL_get_error(ssl_, ret);
    if (err != SSL_ERROR_WANT_READ) return err;
    std::string bytes;
    const input got = receive(fd_, bytes, limit_);
    if (got == input::timeout) return -1;
    if (got == input::end) BIO_set_mem_eof_return(in_, 0);  // OpenSSL sees the EOF next
    BIO_write(in_, bytes.data(), static_cast<int>(bytes.size()));
  }
}

bool tls_client::handshake() {
  return drive([&] { return SSL_do_handshake(ssl_); }) == SSL_ERROR_NONE;
}

bool tls_client::send(std::string_view text) {
  std::size_t n = 0;
  return drive([&] { return SSL_write_ex(ssl_, text.data(), text.size(), &n); }) == SSL_ERROR_NONE;
}

bool tls_client::read_until(std::string_view marker) {
  char buf[16384];
  while (received_.find(marker) == std::string::npos) {
    std::size_t n = 0;
    if (drive([&] { return SSL_read_ex(ssl_, buf, sizeof buf, &n); }) != SSL_ERROR_NONE) return false;
    received_.append(buf, n);
  }
  return true;
}

int tls_client::read_to_end() {
  char buf[16384];
  for (;;) {
    std::size_t n = 0;
    const int err = drive([&] { return SSL_read_ex(ssl_, buf, sizeof buf, &n); });
    if (err != SSL_ERROR_NONE) return err;
    received_.append(buf, n);
  }
}

std::string tls_client::encrypt(std::string_view text) {
  std::size_t n = 0;
  SSL_write_ex(ssl_, text.data(), text.size(), &n);
  std::string records;
  char buf[16384];
  for (int got; (got = BIO_read(out_, buf, sizeof buf)) > 0;)
    records.append(buf, static_cast<std::size_t>(got));
  return records;
}

bool tls_client::server_closed() {
  std::string ignored;
  for (;;) {
    const input got = receive(fd_, ignored, limit_);
    if (got == input::end) return true;
    if (got == input::timeout) return false;
  }
}

bool tls_client::resumed() const { return SSL_session_reused(ssl_) == 1; }

SSL_SESSION* tls_client::session() const { return SSL_get1_session(ssl_); }

}  // namespace ofs::xmpp::test
