#include "server/auth/sasl.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <climits>
#include <stdexcept>

#include "server/auth/anonymous_server.hpp"
#include "server/auth/plain_server.hpp"
#include "server/auth/scram_server.hpp"
#include "server/core/jid.hpp"

namespace ofs::auth {
namespace {

// Keys the decoy credentials. Per process, so a decoy salt changes on restart while a real
// one does not; a persistent configured secret would close that gap.
const std::string& decoy_secret() {
  static const std::string secret = [] {
    std::string s(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(s.size())) != 1)
      throw std::runtime_error("OpenSSL failure: RAND_bytes");
    return s;
  }();
  return secret;
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n))
    throw std::runtime_error("OpenSSL failure: HMAC");
  return std::string(reinterpret_cast<char*>(out), n);
}

}  // namespace

std::string_view to_string(sasl_failure f) {
  switch (f) {
    case sasl_failure::aborted: return "aborted";
    case sasl_failure::account_disabled: return "account-disabled";
    case sasl_failure::credentials_expired: return "credentials-expired";
    case sasl_failure::encryption_required: return "encryption-required";
    case sasl_failure::incorrect_encoding: return "incorrect-encoding";
    case sasl_failure::invalid_authzid: return "invalid-authzid";
    case sasl_failure::invalid_mechanism: return "invalid-mechanism";
    case sasl_failure::malformed_request: return "malformed-request";
    case sasl_failure::mechanism_too_weak: return "mechanism-too-weak";
    case sasl_failure::not_authorized: return "not-authorized";
    case sasl_failure::temporary_auth_failure: return "temporary-auth-failure";
  }
  return "not-authorized";  // unreachable for valid enumerators
}

std::vector<std::string> mechanisms(bool tls, bool channel_binding_available, bool allow_plain_without_tls) {
  std::vector<std::string> out;
  if (channel_binding_available) {
    out.emplace_back("SCRAM-SHA-256-PLUS");
    out.emplace_back("SCRAM-SHA-1-PLUS");
  }
  out.emplace_back("SCRAM-SHA-256");
  out.emplace_back("SCRAM-SHA-1");
  if (tls || allow_plain_without_tls) out.emplace_back("PLAIN");
  return out;
}

std::vector<std::string> mechanisms(const sasl_options& o) {
  auto out = o.anonymous ? std::vector<std::string>{"ANONYMOUS"}
                         : mechanisms(o.tls, o.plus_offered(), o.allow_plain_without_tls);
  if (o.token) out.emplace_back(token_mechanism);
  return out;
}

std::unique_ptr<sasl_mechanism> make_mechanism(std::string_view name, const sasl_options& o) {
  if (o.anonymous) return name == "ANONYMOUS" ? std::make_unique<anonymous_server>() : nullptr;
  if (name == "PLAIN") return o.plain_offered() ? std::make_unique<plain_server>(o.domain) : nullptr;
  constexpr std::string_view plus_suffix = "-PLUS";
  const bool plus = name.ends_with(plus_suffix);
  if (plus) name.remove_suffix(plus_suffix.size());
  auto hash = hash_from_name(name);
  if (!hash || (plus && !o.plus_offered())) return nullptr;
  return std::make_unique<scram_server>(*hash, plus, o);
}

std::optional<std::string> prepare_username(std::string_view name) {
  auto prepared = saslprep(name);
  if (!prepared) return std::nullopt;
  return core::nodeprep(*prepared);
}

bool authzid_allowed(std::string_view authzid, std::string_view user, std::string_view domain) {
  if (authzid.empty()) return true;
  auto requested = core::jid::parse(authzid);
  auto own = core::jid::from_parts(user, domain);
  return requested && own && requested->is_bare() && *requested == *own;
}

const scram_credentials* find_credentials(const std::vector<scram_credentials>& creds, scram_hash h) {
  for (const auto& c : creds) {
    if (c.hash != h) continue;
    // Within derive_credentials' limits, so PLAIN can use it; keys of the hash's size.
    const std::size_t size = h == scram_hash::sha1 ? 20 : 32;
    if (c.iterations == 0 || c.iterations > INT_MAX || c.salt.size() > INT_MAX ||
        c.stored_key.size() != size || c.server_key.size() != size)
      return nullptr;
    return &c;
  }
  return nullptr;
}

scram_credentials decoy_credentials(scram_hash h, std::string_view name) {
  // Same shape as make_credentials(): a 16-byte salt and the default iteration count.
  std::string label(mechanism_name(h));
  label.push_back('\0');
  label.append(name);
  const std::string salt = hmac_sha256(decoy_secret(), "salt:" + label);
  const std::string keys = hmac_sha256(decoy_secret(), "keys:" + label);
  const std::size_t size = h == scram_hash::sha1 ? 20 : 32;
  scram_credentials c;
  c.hash = h;
  c.salt = salt.substr(0, 16);
  c.iterations = default_iterations;
  c.stored_key = keys.substr(0, size);
  c.server_key = hmac_sha256(decoy_secret(), "server:" + label).substr(0, size);
  return c;
}

bool same_bytes(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace ofs::auth
