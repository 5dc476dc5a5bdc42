#pragma once
// HTTP authentication for XCAP against OFS accounts: Basic (RFC 7617) where a password may
// cross the channel (TLS, loopback, or [xcap] allow_plain_http_logins, as for WebSocket and
// BOSH), and Digest (RFC 7616, SHA-256 and MD5) everywhere. The user name is the bare JID.
//
// Digest needs H(user:realm:password), which cannot be computed from the SCRAM keys OFS
// stores (RFC 5802 keeps only PBKDF2-derived keys). So OFS stores the two Digest hashes, with
// the realm being the account's domain, whenever it learns the password: `ofsctl adduser`,
// `ofsctl passwd`, and a successful Basic login over XCAP. Until then Digest fails for that
// account and the 401 says so.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/auth/kdf_pool.hpp"
#include "server/core/jid.hpp"
#include "server/storage/store.hpp"

namespace ofs::xcap {

// The private-store key of the Digest hashes, and their text: "MD5 <hex>\nSHA-256 <hex>\n".
// A password change over XMPP (server/im/register.cpp) empties them.
inline constexpr std::string_view digest_key = "http-digest-ha1";
std::string digest_secrets(const core::jid& account, std::string_view password);

struct auth_request {
  std::string_view method, target;  // of the HTTP request
  std::string_view authorization;   // the header, empty if none
  bool basic_allowed = false;       // TLS, loopback or configured
};

struct auth_outcome {
  std::optional<core::jid> account;  // set: authenticated
  bool temporary = false;            // the store or the KDF pool could not answer: 503
  std::string why;                   // for the 401 body
};

class http_auth {
public:
  // domains: those OFS serves (an account's realm is its domain).
  http_auth(storage::store& store, auth::kdf_pool& kdf, std::vector<std::string> domains);

  boost::asio::awaitable<auth_outcome> check(auth_request r) const;
  // The WWW-Authenticate values of a 401: Digest SHA-256, Digest MD5, and Basic if allowed.
  std::vector<std::string> challenges(bool basic_allowed, bool stale = false) const;

private:
  boost::asio::awaitable<auth_outcome> check_basic(std::string_view credentials) const;
  boost::asio::awaitable<auth_outcome> check_digest(std::string_view params, std::string_view method,
                                                    std::string_view target) const;
  std::string make_nonce() const;
  bool nonce_fresh(std::string_view nonce) const;

  storage::store& store_;
  auth::kdf_pool& kdf_;
  std::vector<std::string> domains_;
  std::string secret_;  // random per process: nonces do not survive a restart
};

}  // namespace ofs::xcap
