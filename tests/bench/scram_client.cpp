#include "tests/bench/scram_client.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <array>
#include <charconv>

#include "server/auth/base64.hpp"

namespace ofs::bench {
namespace {

using bytes = std::vector<unsigned char>;

const EVP_MD* md_of(scram_hash h) { return h == scram_hash::sha1 ? EVP_sha1() : EVP_sha256(); }

bytes hmac(scram_hash h, const bytes& key, std::string_view data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  HMAC(md_of(h), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  out.resize(len);
  return out;
}

bytes digest(scram_hash h, const bytes& data) {
  bytes out(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), out.data(), &len, md_of(h), nullptr);
  out.resize(len);
  return out;
}

std::string as_text(const bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The value of "<key>=" in a comma-separated SCRAM message; empty if absent.
std::string_view attribute(std::string_view message, char key) {
  for (std::size_t at = 0; at < message.size();) {
    auto end = message.find(',', at);
    if (end == std::string_view::npos) end = message.size();
    auto part = message.substr(at, end - at);
    if (part.size() >= 2 && part[0] == key && part[1] == '=') return part.substr(2);
    at = end + 1;
  }
  return {};
}

}  // namespace

const scram_key_cache::keys* scram_key_cache::find(const std::string& id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

scram_client::scram_client(scram_hash hash, std::string user, std::string password, scram_key_cache* cache,
                           std::string nonce)
    : hash_(hash),
      user_(std::move(user)),
      password_(std::move(password)),
      nonce_(std::move(nonce)),
      cache_(cache) {}

std::string_view scram_client::mechanism() const {
  return hash_ == scram_hash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::string scram_client::first() {
  if (nonce_.empty()) {
    std::array<unsigned char, 18> random{};
    RAND_bytes(random.data(), static_cast<int>(random.size()));
    nonce_ = auth::base64_encode({reinterpret_cast<const char*>(random.data()), random.size()});
  }
  // Benchmark account names need no SCRAM escaping ('=' and ',' never occur in them).
  first_bare_ = "n=" + user_ + ",r=" + nonce_;
  return "n,," + first_bare_;
}

std::optional<std::string> scram_client::final(std::string_view server_first) {
  const auto nonce = attribute(server_first, 'r');
  const auto salt = auth::base64_decode(attribute(server_first, 's'));
  const auto count_text = attribute(server_first, 'i');
  unsigned iterations = 0;
  std::from_chars(count_text.data(), count_text.data() + count_text.size(), iterations);
  if (!nonce.starts_with(nonce_) || nonce.size() == nonce_.size() || !salt || iterations == 0)
    return std::nullopt;
  // The cache key holds everything the keys depend on but the password, which a run never changes.
  const std::string id =
      std::string(mechanism()) + '\0' + user_ + '\0' + *salt + '\0' + std::string(count_text);
  const scram_key_cache::keys* known = cache_ ? cache_->find(id) : nullptr;
  scram_key_cache::keys fresh;
  if (!known) {
    bytes salted(EVP_MD_get_size(md_of(hash_)));
    PKCS5_PBKDF2_HMAC(password_.data(), static_cast<int>(password_.size()),
                      reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                      static_cast<int>(iterations), md_of(hash_), static_cast<int>(salted.size()),
                      salted.data());
    fresh = {hmac(hash_, salted, "Client Key"), hmac(hash_, salted, "Server Key")};
    if (cache_) {
      ++cache_->derived;
      cache_->store(id, fresh);
    }
    known = &fresh;
  } else {
    ++cache_->reused;
  }
  const bytes stored_key = digest(hash_, known->client_key);
  const std::string without_proof = "c=biws,r=" + std::string(nonce);  // biws: "n,," in base64
  const std::string auth_message = first_bare_ + "," + std::string(server_first) + "," + without_proof;
  const bytes signature = hmac(hash_, stored_key, auth_message);
  server_signature_ = as_text(hmac(hash_, known->server_key, auth_message));
  std::string proof(known->client_key.size(), '\0');
  for (std::size_t i = 0; i < proof.size(); ++i)
    proof[i] = static_cast<char>(known->client_key[i] ^ signature[i]);
  return without_proof + ",p=" + auth::base64_encode(proof);
}

bool scram_client::verify(std::string_view server_final) const {
  const auto signature = auth::base64_decode(attribute(server_final, 'v'));
  return !server_signature_.empty() && signature && signature->size() == server_signature_.size() &&
         CRYPTO_memcmp(signature->data(), server_signature_.data(), signature->size()) == 0;
}

}  // namespace ofs::bench
