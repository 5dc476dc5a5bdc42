#include "server/auth/scram.hpp"

#include <idn-free.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stringprep.h>

#include <climits>
#include <memory>
#include <stdexcept>

namespace ofs::auth {
namespace {

const EVP_MD* digest_of(scram_hash h) { return h == scram_hash::sha1 ? EVP_sha1() : EVP_sha256(); }

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// OpenSSL failing here means a broken library or no memory, not bad input: a bug.
[[noreturn]] void crypto_failure(const char* what) {
  throw std::runtime_error(std::string("OpenSSL failure: ") + what);
}

std::string hmac(scram_hash h, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(digest_of(h), key.data(), static_cast<int>(key.size()), bytes_of(data), data.size(),
            out, &n))
    crypto_failure("HMAC");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string hash(scram_hash h, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &n, digest_of(h), nullptr))
    crypto_failure("EVP_Digest");
  return std::string(reinterpret_cast<char*>(out), n);
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::string_view mechanism_name(scram_hash h) {
  return h == scram_hash::sha1 ? "SCRAM-SHA-1" : "SCRAM-SHA-256";
}

std::optional<scram_hash> hash_from_name(std::string_view name) {
  if (name == "SCRAM-SHA-1") return scram_hash::sha1;
  if (name == "SCRAM-SHA-256") return scram_hash::sha256;
  return std::nullopt;
}

scram_credentials derive_credentials(scram_hash h, std::string_view password,
                                     std::string_view salt, std::uint32_t iterations) {
  if (iterations == 0 || iterations > INT_MAX) throw std::invalid_argument("SCRAM iteration count");
  if (password.size() > INT_MAX || salt.size() > INT_MAX) throw std::invalid_argument("SCRAM input size");
  const int size = EVP_MD_get_size(digest_of(h));
  unsigned char salted[EVP_MAX_MD_SIZE];
  if (!PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), bytes_of(salt),
                         static_cast<int>(salt.size()), static_cast<int>(iterations),
                         digest_of(h), size, salted))
    crypto_failure("PKCS5_PBKDF2_HMAC");
  std::string_view salted_password(reinterpret_cast<char*>(salted), static_cast<std::size_t>(size));
  scram_credentials c;
  c.hash = h;
  c.salt = std::string(salt);
  c.iterations = iterations;
  c.stored_key = hash(h, hmac(h, salted_password, "Client Key"));
  c.server_key = hmac(h, salted_password, "Server Key");
  OPENSSL_cleanse(salted, sizeof salted);
  return c;
}

scram_credentials make_credentials(scram_hash h, std::string_view password,
                                   std::uint32_t iterations) {
  unsigned char salt[16];
  if (RAND_bytes(salt, sizeof salt) != 1) crypto_failure("RAND_bytes");
  return derive_credentials(h, password, {reinterpret_cast<char*>(salt), sizeof salt}, iterations);
}

bool verify_client_proof(const scram_credentials& c, std::string_view auth_message,
                         std::string_view client_proof) {
  // ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage); it must hash to StoredKey.
  std::string key = hmac(c.hash, c.stored_key, auth_message);
  if (client_proof.size() != key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) key[i] ^= client_proof[i];
  return same_bytes(hash(c.hash, key), c.stored_key);
}

std::string server_signature(const scram_credentials& c, std::string_view auth_message) {
  return hmac(c.hash, c.server_key, auth_message);
}

std::optional<std::string> saslprep(std::string_view in) {
  if (in.empty() || in.find('\0') != std::string_view::npos) return std::nullopt;
  const std::string input(in);  // libidn wants a NUL-terminated string
  char* out = nullptr;
  int rc = stringprep_profile(input.c_str(), &out, "SASLprep", STRINGPREP_NO_UNASSIGNED);
  std::unique_ptr<char, decltype(&idn_free)> owned(out, &idn_free);
  if (rc != STRINGPREP_OK || !out || *out == '\0') return std::nullopt;
  return std::string(out);
}

}  // namespace ofs::auth
