#include "tests/bench/scram_client.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>

#include "server/auth/base64.hpp"

namespace ofs::bench {
namespace {

using digest = std::array<unsigned char, SHA_DIGEST_LENGTH>;

digest hmac(const digest& key, std::string_view data) {
  digest out{};
  unsigned int len = 0;
  HMAC(EVP_sha1(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(), &len);
  return out;
}

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

scram_sha1_client::scram_sha1_client(std::string user, std::string password)
    : user_(std::move(user)), password_(std::move(password)) {}

std::string scram_sha1_client::first() {
  std::array<unsigned char, 18> random{};
  RAND_bytes(random.data(), static_cast<int>(random.size()));
  nonce_ = auth::base64_encode({reinterpret_cast<const char*>(random.data()), random.size()});
  // Benchmark account names need no SCRAM escaping ('=' and ',' never occur in them).
  first_bare_ = "n=" + user_ + ",r=" + nonce_;
  return "n,," + first_bare_;
}

std::optional<std::string> scram_sha1_client::final(std::string_view server_first) {
  const auto nonce = attribute(server_first, 'r');
  const auto salt = auth::base64_decode(attribute(server_first, 's'));
  const auto count_text = attribute(server_first, 'i');
  unsigned iterations = 0;
  std::from_chars(count_text.data(), count_text.data() + count_text.size(), iterations);
  if (!nonce.starts_with(nonce_) || nonce.size() == nonce_.size() || !salt || iterations == 0)
    return std::nullopt;
  digest salted{};
  PKCS5_PBKDF2_HMAC_SHA1(password_.data(), static_cast<int>(password_.size()),
                         reinterpret_cast<const unsigned char*>(salt->data()), static_cast<int>(salt->size()),
                         static_cast<int>(iterations), static_cast<int>(salted.size()), salted.data());
  const digest client_key = hmac(salted, "Client Key");
  digest stored_key{};
  SHA1(client_key.data(), client_key.size(), stored_key.data());
  const std::string without_proof = "c=biws,r=" + std::string(nonce);  // biws: "n,," in base64
  const std::string auth_message = first_bare_ + "," + std::string(server_first) + "," + without_proof;
  const digest signature = hmac(stored_key, auth_message);
  std::string proof(client_key.size(), '\0');
  for (std::size_t i = 0; i < proof.size(); ++i) proof[i] = static_cast<char>(client_key[i] ^ signature[i]);
  return without_proof + ",p=" + auth::base64_encode(proof);
}

}  // namespace ofs::bench
