#pragma once
// The load generator's TLS client side: one context for a fleet of clients and the TLS
// session each account was last given, offered again when that account reconnects
// (resumption, as real clients do). TLS 1.3 tickets arrive after the handshake, so sessions
// are taken from OpenSSL's new-session callback. No certificate verification: the benchmark
// servers run on loopback with self-signed certificates. Used by one thread at a time.
#include <openssl/ssl.h>

#include <boost/asio/ssl/context.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace ofs::bench {

class tls_client {
public:
  tls_client();
  boost::asio::ssl::context& context() { return context_; }
  // Before the handshake of `user`'s connection: offers its last session, if any, and lets
  // the tickets this connection receives replace it.
  void prepare(SSL* ssl, const std::string& user);
  // After a successful handshake: counts it as resumed or full.
  void handshake_done(SSL* ssl);
  std::uint64_t resumed = 0, full = 0;

private:
  struct session_free {
    void operator()(SSL_SESSION* s) const { SSL_SESSION_free(s); }
  };
  using session_ptr = std::unique_ptr<SSL_SESSION, session_free>;
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  boost::asio::ssl::context context_;
  std::map<std::string, session_ptr, std::less<>> sessions_;  // never erased: slots stay put
};

}  // namespace ofs::bench
