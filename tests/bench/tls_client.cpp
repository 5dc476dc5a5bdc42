#include "tests/bench/tls_client.hpp"

#include <stdexcept>

namespace ofs::bench {
namespace {

// Asio keeps its verify callback in the SSL's app data, so the session slot gets an index of its own.
int slot_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

tls_client::tls_client() : context_(boost::asio::ssl::context::tls_client) {
  if (slot_index() < 0) throw std::runtime_error("SSL_get_ex_new_index failed");
  context_.set_verify_mode(boost::asio::ssl::verify_none);
  // Sessions live in sessions_ (keyed by account), not in OpenSSL's internal client cache.
  SSL_CTX_set_session_cache_mode(context_.native_handle(),
                                 SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(context_.native_handle(), &tls_client::on_new_session);
}

void tls_client::prepare(SSL* ssl, const std::string& user) {
  auto& slot = sessions_[user];
  if (slot) SSL_set_session(ssl, slot.get());  // takes its own reference
  SSL_set_ex_data(ssl, slot_index(), &slot);
}

void tls_client::handshake_done(SSL* ssl) { ++(SSL_session_reused(ssl) ? resumed : full); }

int tls_client::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* slot = static_cast<session_ptr*>(SSL_get_ex_data(ssl, slot_index()));
  if (!slot) return 0;
  slot->reset(session);
  return 1;  // the reference is ours now
}

}  // namespace ofs::bench
