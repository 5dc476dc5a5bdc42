#include "server/app/tls_tickets.hpp"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>

namespace ofs::app {
namespace {
using clock = std::chrono::steady_clock;

constexpr auto rotation = std::chrono::hours(1);
// A key is kept for three rotations, so a ticket lives its full lifetime whenever it came.
constexpr std::size_t keys_kept = 3;
constexpr long ticket_lifetime_seconds = 2 * 3600;

struct ticket_key {
  unsigned char name[16];
  unsigned char aes[32];   // AES-256-CBC, as OpenSSL's own tickets
  unsigned char hmac[32];  // HMAC-SHA-256 over the encrypted ticket
  clock::time_point created;
};

class ticket_keys {
public:
  ~ticket_keys() {
    for (auto& k : keys_) OPENSSL_cleanse(&k, sizeof k);
  }
  // The key for new tickets; a new one when the last is an hour old. nullopt: no randomness.
  std::optional<ticket_key> current() {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    if ((keys_.empty() || now - keys_.front().created >= rotation) && !add(now)) return std::nullopt;
    return keys_.front();
  }
  // The key a ticket names, if kept and not expired; renew: a newer key exists by now.
  std::optional<ticket_key> find(const unsigned char* name, bool& renew) {
    std::lock_guard lock(mutex_);
    const auto now = clock::now();
    for (std::size_t i = 0; i < keys_.size(); ++i) {
      if (std::memcmp(keys_[i].name, name, sizeof keys_[i].name) != 0) continue;
      if (now - keys_[i].created >= keys_kept * rotation) return std::nullopt;
      renew = i > 0 || now - keys_[i].created >= rotation;
      return keys_[i];
    }
    return std::nullopt;
  }
  void rotate() {
    std::lock_guard lock(mutex_);
    if (!add(clock::now())) throw std::runtime_error("no randomness for a TLS ticket key");
  }

private:
  bool add(clock::time_point now) {
    ticket_key k;
    if (RAND_priv_bytes(k.name, sizeof k.name) != 1 || RAND_priv_bytes(k.aes, sizeof k.aes) != 1 ||
        RAND_priv_bytes(k.hmac, sizeof k.hmac) != 1) {
      OPENSSL_cleanse(&k, sizeof k);
      return false;
    }
    k.created = now;
    keys_.push_front(k);
    OPENSSL_cleanse(&k, sizeof k);
    while (keys_.size() > keys_kept) {
      OPENSSL_cleanse(&keys_.back(), sizeof keys_.back());
      keys_.pop_back();
    }
    return true;
  }

  std::mutex mutex_;
  std::deque<ticket_key> keys_;  // newest first
};

ticket_keys& keys() {
  static ticket_keys k;
  return k;
}

const EVP_CIPHER* ticket_cipher() {
  static EVP_CIPHER* const c = EVP_CIPHER_fetch(nullptr, "AES-256-CBC", nullptr);
  return c;
}

// SSL_CTX_set_tlsext_ticket_key_evp_cb: 1 done, 2 done but issue a fresh ticket, 0 unknown
// key (a full handshake), -1 failure.
int on_ticket(SSL*, unsigned char* key_name, unsigned char* iv, EVP_CIPHER_CTX* cipher, EVP_MAC_CTX* mac,
              int encrypt) {
  std::optional<ticket_key> k;
  int result = 1;
  if (encrypt) {
    k = keys().current();
    if (!k || RAND_bytes(iv, EVP_CIPHER_get_iv_length(ticket_cipher())) != 1) return -1;
    std::memcpy(key_name, k->name, sizeof k->name);
  } else {
    bool renew = false;
    k = keys().find(key_name, renew);
    if (!k) return 0;
    result = renew ? 2 : 1;
  }
  char digest[] = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, k->hmac, sizeof k->hmac),
                               OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                               OSSL_PARAM_construct_end()};
  const bool ok = ticket_cipher() && EVP_MAC_CTX_set_params(mac, params) == 1 &&
                  (encrypt ? EVP_EncryptInit_ex(cipher, ticket_cipher(), nullptr, k->aes, iv)
                           : EVP_DecryptInit_ex(cipher, ticket_cipher(), nullptr, k->aes, iv)) == 1;
  OPENSSL_cleanse(&*k, sizeof *k);
  return ok ? result : -1;
}

}  // namespace

void use_shared_tickets(SSL_CTX* ctx) {
  SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, &on_ticket);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_timeout(ctx, ticket_lifetime_seconds);
  SSL_CTX_set_num_tickets(ctx, 1);
}

void rotate_ticket_keys() { keys().rotate(); }

}  // namespace ofs::app
