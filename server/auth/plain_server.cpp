#include "server/auth/plain_server.hpp"

#include <openssl/crypto.h>

namespace ofs::auth {
namespace {

constexpr std::size_t max_field = 255;  // RFC 4616 section 2

sasl_step malformed(std::string text) {
  return sasl_step::make_failure(sasl_failure::malformed_request, std::move(text));
}

}  // namespace

plain_server::plain_server(std::string domain) : domain_(std::move(domain)) {}

plain_server::~plain_server() { OPENSSL_cleanse(password_.data(), password_.size()); }

sasl_step plain_server::start(std::optional<std::string_view> initial_response) {
  if (state_ != state::initial) {
    state_ = state::done;
    return malformed("exchange already started");
  }
  if (!initial_response) {
    state_ = state::message;
    return sasl_step::make_challenge({});
  }
  return message(*initial_response);
}

sasl_step plain_server::step(std::string_view response) {
  if (state_ == state::message) return message(response);
  state_ = state::done;
  return malformed("unexpected response");
}

sasl_step plain_server::message(std::string_view m) {
  state_ = state::done;  // until proven otherwise
  auto first = m.find('\0');
  auto second = first == std::string_view::npos ? first : m.find('\0', first + 1);
  if (second == std::string_view::npos || m.find('\0', second + 1) != std::string_view::npos)
    return malformed("expected authzid NUL authcid NUL passwd");
  auto authzid = m.substr(0, first);
  auto authcid = m.substr(first + 1, second - first - 1);
  auto password = m.substr(second + 1);
  if (authcid.empty() || password.empty() || authzid.size() > max_field || authcid.size() > max_field ||
      password.size() > max_field)
    return malformed("empty or oversized field");

  authzid_ = authzid;
  claimed_name_ = authcid;
  // A password SASLprep refuses cannot match a stored one; the unprepared bytes still go
  // through the key derivation so that the answer takes as long as for a wrong password.
  auto prepared = saslprep(password);
  password_ok_ = prepared.has_value();
  password_ = prepared ? std::move(*prepared) : std::string(password);
  // A name that cannot be an account still gets its (decoy) derivation in set_credentials,
  // off the I/O thread like any other; the empty name tells the session not to ask the store.
  if (auto user = prepare_username(authcid)) user_ = std::move(*user);
  state_ = state::credentials;
  return sasl_step::make_need_credentials(user_);
}

sasl_step plain_server::set_credentials(std::optional<std::vector<scram_credentials>> creds) {
  if (state_ != state::credentials) {
    state_ = state::done;
    return malformed("unexpected credentials");
  }
  const scram_credentials* real = nullptr;
  if (creds && !user_.empty()) {
    real = find_credentials(*creds, scram_hash::sha256);
    if (!real) real = find_credentials(*creds, scram_hash::sha1);
  }
  return verify(real);
}

sasl_step plain_server::verify(const scram_credentials* real) {
  state_ = state::done;
  // For an unknown user, derive against a decoy anyway: the answer takes as long.
  const scram_credentials c =
      real ? *real : decoy_credentials(scram_hash::sha256, user_.empty() ? claimed_name_ : user_);
  const auto derived = derive_credentials(c.hash, password_, c.salt, c.iterations);
  OPENSSL_cleanse(password_.data(), password_.size());
  password_.clear();
  const bool ok = same_bytes(derived.stored_key, c.stored_key) && real && password_ok_;
  if (!ok) return sasl_step::make_failure(sasl_failure::not_authorized);
  if (!authzid_allowed(authzid_, user_, domain_))
    return sasl_step::make_failure(sasl_failure::invalid_authzid);
  authenticated_ = user_;
  return sasl_step::make_success();
}

}  // namespace ofs::auth
