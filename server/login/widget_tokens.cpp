#include "server/login/widget_tokens.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

#include "server/auth/base64.hpp"
#include "server/auth/sasl.hpp"

namespace ofs::login {
namespace {

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n))
    throw std::runtime_error("OpenSSL failure: HMAC");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string sha256(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!EVP_Digest(data.data(), data.size(), out, &n, EVP_sha256(), nullptr))
    throw std::runtime_error("OpenSSL failure: SHA-256");
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string random_secret() {
  std::string raw(32, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) != 1)
    throw std::runtime_error("OpenSSL failure: RAND_bytes");
  std::string out = auth::base64_encode(raw);  // RFC 4648 base64url, no padding
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  out.erase(std::remove(out.begin(), out.end(), '='), out.end());
  return out;
}

}  // namespace

std::string widget_tokens::initiator_hmac(std::string_view secret) {
  return hmac_sha256(secret, "Initiator");
}
std::string widget_tokens::responder_hmac(std::string_view secret) {
  return hmac_sha256(secret, "Responder");
}

void widget_tokens::prune(std::vector<entry>& list, clock::time_point now) {
  std::erase_if(list, [now](const entry& e) { return e.expiry <= now; });
}

widget_tokens::issued widget_tokens::issue(const core::jid& account) {
  issued out{random_secret(), clock::now() + lifetime_};
  entry e{sha256(initiator_hmac(out.secret)), responder_hmac(out.secret), out.expiry};
  std::lock_guard lock(mutex_);
  auto& list = by_account_[account.bare().str()];
  prune(list, clock::now());
  if (per_account_ > 0 && list.size() >= per_account_) list.erase(list.begin());
  list.push_back(std::move(e));
  return out;
}

std::optional<std::string> widget_tokens::verify(const core::jid& account, std::string_view initiator_hmac) {
  const std::string digest = sha256(initiator_hmac);
  std::lock_guard lock(mutex_);
  auto it = by_account_.find(account.bare().str());
  if (it == by_account_.end()) return std::nullopt;
  prune(it->second, clock::now());
  std::optional<std::string> found;
  for (const auto& e : it->second)  // every entry compared: no early exit to time
    if (auth::same_bytes(e.initiator_digest, digest)) found = e.responder;
  if (it->second.empty()) by_account_.erase(it);
  return found;
}

std::size_t widget_tokens::revoke(const core::jid& account) {
  std::lock_guard lock(mutex_);
  auto it = by_account_.find(account.bare().str());
  if (it == by_account_.end()) return 0;
  prune(it->second, clock::now());
  const std::size_t n = it->second.size();
  by_account_.erase(it);
  return n;
}

std::size_t widget_tokens::size() const {
  std::lock_guard lock(mutex_);
  std::size_t n = 0;
  for (const auto& [_, list] : by_account_) n += list.size();
  return n;
}

std::optional<token_response> parse_token_response(std::string_view initial) {
  auto nul = initial.find('\0');
  if (nul == std::string_view::npos || nul == 0 || nul > 1023) return std::nullopt;
  auto hmac = initial.substr(nul + 1);
  if (hmac.size() != 32) return std::nullopt;  // SHA-256
  return token_response{std::string(initial.substr(0, nul)), std::string(hmac)};
}

}  // namespace ofs::login
