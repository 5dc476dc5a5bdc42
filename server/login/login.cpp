#include "server/login/login.hpp"

#include <openssl/crypto.h>

#include <boost/asio/use_awaitable.hpp>
#include <utility>

namespace ofs::login {

using auth::sasl_failure;
using auth::sasl_step;

sasl_exchange::sasl_exchange(storage::store& store, auth::kdf_pool& kdf, std::string domain)
    : store_(store), kdf_(kdf), domain_(std::move(domain)) {}

sasl_exchange::~sasl_exchange() = default;

boost::asio::awaitable<sasl_step> sasl_exchange::start(std::string name, auth::sasl_options options,
                                                       std::optional<std::string> initial) {
  account_.reset();
  if (name == auth::token_mechanism && options.token && tokens_) {
    mechanism_name_ = name;
    co_return token_login(initial ? std::optional<std::string_view>(*initial) : std::nullopt);
  }
  mechanism_ = auth::make_mechanism(name, options);
  if (!mechanism_) {
    const bool needs_tls = name == "PLAIN" || name.ends_with("-PLUS");
    co_return sasl_step::make_failure(needs_tls && !options.tls ? sasl_failure::encryption_required
                                                                : sasl_failure::invalid_mechanism);
  }
  mechanism_name_ = name;
  auto step = initial ? mechanism_->start(std::string_view(*initial)) : mechanism_->start(std::nullopt);
  co_return co_await advance(std::move(step));
}

// HT-SHA-256-NONE needs its initial response (XEP-0484 3.2); one message, no store lookup.
sasl_step sasl_exchange::token_login(std::optional<std::string_view> initial) {
  auto parsed = initial ? parse_token_response(*initial) : std::nullopt;
  if (!parsed) return sasl_step::make_failure(sasl_failure::malformed_request, "expected user NUL HMAC");
  auto user = auth::prepare_username(parsed->user);
  std::optional<core::jid> account;
  if (user)
    if (auto j = core::jid::from_parts(*user, domain_)) account = std::move(*j);
  auto responder = account ? tokens_->verify(*account, parsed->hmac) : std::nullopt;
  if (!responder)
    return sasl_step::make_failure(sasl_failure::not_authorized,
                                   "The login token is unknown, expired or revoked");
  account_ = std::move(*account);
  return sasl_step::make_success(std::move(*responder));
}

boost::asio::awaitable<sasl_step> sasl_exchange::respond(std::string payload) {
  if (!mechanism_)
    co_return sasl_step::make_failure(sasl_failure::malformed_request, "No exchange in progress");
  auto step = mechanism_->step(payload);
  co_return co_await advance(std::move(step));
}

boost::asio::awaitable<sasl_step> sasl_exchange::advance(sasl_step step) {
  // The mechanism names the account it needs: look its credentials up, then go on.
  while (step.k == sasl_step::need_credentials) {
    auto account = core::jid::from_parts(step.data, domain_);
    std::optional<std::vector<auth::scram_credentials>> creds;
    if (account && !step.data.empty()) {  // "": no account can match
      auto looked_up = co_await store_.get_credentials(*account);
      if (!looked_up) {
        mechanism_.reset();
        co_return sasl_step::make_failure(sasl_failure::temporary_auth_failure);
      }
      creds = std::move(*looked_up);
    }
    if (!mechanism_->derives_keys()) {
      step = mechanism_->set_credentials(std::move(creds));
      continue;
    }
    // PBKDF2 runs on the pool while this thread serves other sessions; the job owns the
    // mechanism until it is done. A full queue (or shutdown) is a temporary failure.
    auto derive = [m = std::move(mechanism_), c = std::move(creds)]() mutable {
      auto next = m->set_credentials(std::move(c));
      return std::pair(std::move(m), std::move(next));
    };
    auto derived = co_await kdf_.async_run(std::move(derive), boost::asio::use_awaitable);
    if (!derived) co_return sasl_step::make_failure(sasl_failure::temporary_auth_failure);
    mechanism_ = std::move(derived->first);
    step = std::move(derived->second);
  }
  if (step.k == sasl_step::challenge) co_return step;
  if (step.k == sasl_step::success) {
    if (auto account = core::jid::from_parts(mechanism_->authenticated_user(), domain_))
      account_ = std::move(*account);
    else
      step = sasl_step::make_failure(sasl_failure::not_authorized);
  }
  mechanism_.reset();
  co_return step;
}

boost::asio::awaitable<password_check> check_password(storage::store& store, auth::kdf_pool& kdf,
                                                      std::string domain, std::string user,
                                                      std::string password) {
  auth::sasl_options options;
  options.domain = domain;
  options.allow_plain_without_tls = true;  // the caller decided the channel is fit for it
  std::string message;
  message.reserve(user.size() + password.size() + 2);
  message.append(1, '\0').append(user).append(1, '\0').append(password);
  OPENSSL_cleanse(password.data(), password.size());
  sasl_exchange exchange(store, kdf, std::move(domain));
  auto step = co_await exchange.start("PLAIN", options, std::move(message));
  password_check result;
  if (step.k == sasl_step::success)
    result.account = exchange.account();
  else if (step.k == sasl_step::failure)
    result.why = step.why;
  co_return result;
}

}  // namespace ofs::login
