#pragma once
// Login tokens for the web widget: after a password login the widget asks for one (an IQ,
// see xmpp/c2s_widget.cpp) and keeps it, never the password, in the browser; a reload after
// the stream management window logs in with it through HT-SHA-256-NONE (XEP-0484's
// mechanism on RFC 6120 SASL): "user NUL HMAC-SHA-256(token, "Initiator")", answered with
// HMAC-SHA-256(token, "Responder") as success data. Kept in memory (a restart revokes them
// all), hashed: the table holds SHA-256 of the expected HMAC, not the token. Any thread.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "server/core/jid.hpp"

namespace ofs::login {

class widget_tokens {
public:
  using clock = std::chrono::system_clock;
  struct issued {
    std::string secret;  // base64url, 43 characters: what the widget keeps
    clock::time_point expiry;
  };

  explicit widget_tokens(std::chrono::seconds lifetime, std::size_t per_account = 10)
      : lifetime_(lifetime), per_account_(per_account) {}

  // A new token for a bare JID; past per_account live tokens the oldest is dropped.
  issued issue(const core::jid& account);
  // The Responder HMAC when initiator_hmac is HMAC(token, "Initiator") of a live token of
  // the account; nullopt otherwise (unknown, expired or revoked: the same answer).
  std::optional<std::string> verify(const core::jid& account, std::string_view initiator_hmac);
  std::size_t revoke(const core::jid& account);  // every token of the account; how many
  std::size_t size() const;
  std::chrono::seconds lifetime() const { return lifetime_; }

  // For tests and clients: the HMACs a token holder computes.
  static std::string initiator_hmac(std::string_view secret);
  static std::string responder_hmac(std::string_view secret);

private:
  struct entry {
    std::string initiator_digest;  // SHA-256 of HMAC(token, "Initiator")
    std::string responder;         // HMAC(token, "Responder"): proves nothing to an attacker
    clock::time_point expiry;
  };
  void prune(std::vector<entry>& list, clock::time_point now);

  std::chrono::seconds lifetime_;
  std::size_t per_account_;
  mutable std::mutex mutex_;
  std::map<std::string, std::vector<entry>> by_account_;  // bare JID -> oldest first
};

// "user NUL hmac" of an HT-* initial response; nullopt when it is not that shape.
struct token_response {
  std::string user;
  std::string hmac;
};
std::optional<token_response> parse_token_response(std::string_view initial);

}  // namespace ofs::login
