#pragma once
// Logging in against the account store, for every front-end: XMPP (TCP, WebSocket, BOSH)
// frames a SASL exchange, the non-XMPP ones (ICPP, XCAP's HTTP authentication, SIP) check a
// user name and password. Credentials are looked up in the store and keys derived on the
// kdf_pool here, so no front-end repeats it. Protocol framing stays with the front-end.
#include <boost/asio/awaitable.hpp>
#include <memory>
#include <optional>
#include <string>

#include "server/auth/kdf_pool.hpp"
#include "server/auth/sasl.hpp"
#include "server/core/jid.hpp"
#include "server/login/widget_tokens.hpp"
#include "server/storage/store.hpp"

namespace ofs::login {

// One SASL exchange (RFC 4422) for accounts of one domain. Driven from one strand; the
// store and the pool outlive it. Each call returns what to send: a challenge, success with
// its additional data (then account() is set), or a failure (the exchange is over).
class sasl_exchange {
public:
  sasl_exchange(storage::store& store, auth::kdf_pool& kdf, std::string domain);
  ~sasl_exchange();

  // Starts mechanism `name` as offered under `options` (which must name the same domain).
  // `initial` is the decoded initial response, nullopt when the client sent none.
  boost::asio::awaitable<auth::sasl_step> start(std::string name, auth::sasl_options options,
                                                std::optional<std::string> initial);
  // A decoded client response to the last challenge.
  boost::asio::awaitable<auth::sasl_step> respond(std::string payload);
  void abort() { mechanism_.reset(); }
  // Where HT-SHA-256-NONE (offered when options.token) checks its tokens; none: refused.
  void use_tokens(widget_tokens* tokens) { tokens_ = tokens; }
  bool in_progress() const { return mechanism_ != nullptr; }

  // After success: the authenticated account (a bare JID) and how.
  const std::optional<core::jid>& account() const { return account_; }
  const std::string& mechanism_name() const { return mechanism_name_; }

private:
  boost::asio::awaitable<auth::sasl_step> advance(auth::sasl_step step);
  auth::sasl_step token_login(std::optional<std::string_view> initial);

  storage::store& store_;
  auth::kdf_pool& kdf_;
  std::string domain_;
  std::unique_ptr<auth::sasl_mechanism> mechanism_;
  std::string mechanism_name_;
  std::optional<core::jid> account_;
  widget_tokens* tokens_ = nullptr;
};

// For front-ends that receive a password as such (over TLS, or trusted loopback): the same
// check as SASL PLAIN, with the same timing for unknown accounts. The account on success;
// nullopt with `why` set otherwise (not_authorized, temporary_auth_failure, ...).
struct password_check {
  std::optional<core::jid> account;
  auth::sasl_failure why = auth::sasl_failure::not_authorized;
};
boost::asio::awaitable<password_check> check_password(storage::store& store, auth::kdf_pool& kdf,
                                                      std::string domain, std::string user,
                                                      std::string password);

}  // namespace ofs::login
