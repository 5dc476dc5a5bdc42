#include "server/auth/scram_server.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "server/auth/base64.hpp"

namespace ofs::auth {
namespace {

constexpr std::size_t server_nonce_bytes = 24;

std::string random_nonce() {
  unsigned char bytes[server_nonce_bytes];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("OpenSSL failure: RAND_bytes");
  return base64_encode({reinterpret_cast<char*>(bytes), sizeof bytes});
}

sasl_step malformed(std::string text) {
  return sasl_step::make_failure(sasl_failure::malformed_request, std::move(text));
}

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> parts;
  for (std::size_t at = 0;;) {
    auto comma = s.find(',', at);
    parts.push_back(s.substr(at, comma - at));
    if (comma == std::string_view::npos) return parts;
    at = comma + 1;
  }
}

// attr-val with a non-empty value (RFC 5802 section 7): every attribute we read has one.
bool is_attr(std::string_view part, char name) {
  return part.size() > 2 && part[0] == name && part[1] == '=';
}
bool is_extension(std::string_view part) {
  auto c = static_cast<unsigned char>(part.empty() ? 0 : part[0]);
  return part.size() > 2 && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) && part[1] == '=';
}

// c-nonce: printable ASCII except ','.
bool printable(std::string_view s) {
  return !s.empty() &&
         std::all_of(s.begin(), s.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
}

bool cb_name(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-';
  });
}

// saslname: "=2C" and "=3D" stand for ',' and '='; any other '=' is malformed.
std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '=') {
      out.push_back(s[i]);
      continue;
    }
    auto code = s.substr(i + 1, 2);
    if (code == "2C")
      out.push_back(',');
    else if (code == "3D")
      out.push_back('=');
    else
      return std::nullopt;
    i += 2;
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

scram_server::scram_server(scram_hash h, bool plus, const sasl_options& o, std::string server_nonce)
    : hash_(h),
      plus_(plus),
      plus_offered_(o.plus_offered() && o.refuse_cb_downgrade),
      name_(std::string(mechanism_name(h)) + (plus ? "-PLUS" : "")),
      domain_(o.domain),
      cb_(o.cb),
      server_nonce_(server_nonce.empty() ? random_nonce() : std::move(server_nonce)) {}

sasl_step scram_server::start(std::optional<std::string_view> initial_response) {
  if (state_ != state::initial) return finish(malformed("exchange already started"));
  if (!initial_response) {
    state_ = state::client_first;
    return sasl_step::make_challenge({});
  }
  return finish(client_first(*initial_response));
}

sasl_step scram_server::step(std::string_view response) {
  switch (state_) {
    case state::client_first: return finish(client_first(response));
    case state::client_final: return finish(client_final(response));
    default: return finish(malformed("unexpected response"));
  }
}

sasl_step scram_server::set_credentials(std::optional<std::vector<scram_credentials>> creds) {
  if (state_ != state::credentials) return finish(malformed("unexpected credentials"));
  return finish(server_first(creds ? find_credentials(*creds, hash_) : nullptr));
}

sasl_step scram_server::finish(sasl_step s) {
  if (s.k == sasl_step::success || s.k == sasl_step::failure) state_ = state::done;
  return s;
}

sasl_step scram_server::client_first(std::string_view m) {
  // gs2-header client-first-message-bare; no attribute value may contain ',' or NUL.
  if (m.find('\0') != std::string_view::npos) return malformed("NUL in message");
  auto parts = split(m);
  if (parts.size() < 4) return malformed("incomplete client-first-message");
  if (auto failed = parse_gs2_header(parts[0], parts[1])) return *failed;
  gs2_header_ = std::string(parts[0]) + "," + std::string(parts[1]) + ",";
  client_first_bare_ = m.substr(gs2_header_.size());

  // RFC 5802 section 5.1: a mandatory extension we cannot know must fail the exchange.
  if (is_attr(parts[2], 'm')) return malformed("unsupported mandatory extension");
  if (!is_attr(parts[2], 'n')) return malformed("expected n=");
  auto name = unescape(parts[2].substr(2));
  if (!name) return malformed("bad escape in user name");
  if (!is_attr(parts[3], 'r') || !printable(parts[3].substr(2))) return malformed("expected r=");
  nonce_ = parts[3].substr(2);
  // Optional extensions are ignored, as the RFC intends, but must be well formed.
  for (std::size_t i = 4; i < parts.size(); ++i)
    if (!is_extension(parts[i])) return malformed("bad attribute");

  claimed_name_ = std::move(*name);
  auto user = prepare_username(claimed_name_);
  if (!user) return server_first(nullptr);  // cannot be an account: no need to ask the store
  user_ = std::move(*user);
  state_ = state::credentials;
  return sasl_step::make_need_credentials(user_);
}

std::optional<sasl_step> scram_server::parse_gs2_header(std::string_view flag,
                                                        std::string_view authzid) {
  if (flag == "n") {
    if (plus_) return malformed("-PLUS needs channel binding");
  } else if (flag == "y") {
    if (plus_) return malformed("-PLUS needs channel binding");
    // The client can bind and saw no -PLUS: someone removed it from our features.
    if (plus_offered_)
      return sasl_step::make_failure(sasl_failure::not_authorized, "channel binding downgrade");
  } else if (flag.starts_with("p=") && cb_name(flag.substr(2))) {
    if (!plus_) return malformed("channel binding needs a -PLUS mechanism");
    auto data = cb_.data_for(flag.substr(2));
    if (!data) return malformed("unsupported channel binding type");
    cb_data_ = *data;
  } else {
    return malformed("bad gs2 header");
  }
  if (!authzid.empty()) {
    auto a = authzid.starts_with("a=") ? unescape(authzid.substr(2)) : std::nullopt;
    if (!a) return malformed("bad authzid");
    authzid_ = std::move(*a);
  }
  return std::nullopt;
}

sasl_step scram_server::server_first(const scram_credentials* real) {
  decoy_ = !real;
  // Keyed by the prepared name, as the store is: "User" and "user" must get the same salt.
  creds_ = real ? *real : decoy_credentials(hash_, user_.empty() ? claimed_name_ : user_);
  nonce_ += server_nonce_;
  server_first_ = "r=" + nonce_ + ",s=" + base64_encode(creds_.salt) +
                  ",i=" + std::to_string(creds_.iterations);
  state_ = state::client_final;
  return sasl_step::make_challenge(server_first_);
}

sasl_step scram_server::client_final(std::string_view m) {
  // channel-binding "," nonce ["," extensions] "," proof
  if (m.find('\0') != std::string_view::npos) return malformed("NUL in message");
  auto last = m.rfind(',');
  if (last == std::string_view::npos) return malformed("incomplete client-final-message");
  auto without_proof = m.substr(0, last);
  auto proof_attr = m.substr(last + 1);
  auto parts = split(without_proof);
  if (parts.size() < 2 || !is_attr(parts[0], 'c') || !is_attr(parts[1], 'r') ||
      !is_attr(proof_attr, 'p'))
    return malformed("expected c=, r=, p=");
  for (std::size_t i = 2; i < parts.size(); ++i)
    if (!is_extension(parts[i])) return malformed("bad attribute");
  auto cb = base64_decode(parts[0].substr(2));
  auto proof = base64_decode(proof_attr.substr(2));
  if (!cb || !proof) return sasl_step::make_failure(sasl_failure::incorrect_encoding);

  // These checks come before the account's, so their texts say nothing about it.
  if (!same_bytes(*cb, gs2_header_ + cb_data_))
    return sasl_step::make_failure(sasl_failure::not_authorized, "channel binding mismatch");
  if (parts[1].substr(2) != nonce_)
    return sasl_step::make_failure(sasl_failure::not_authorized, "nonce mismatch");

  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  // A decoy's proof is checked too, so both paths cost the same.
  const bool proof_ok = verify_client_proof(creds_, auth_message, *proof);
  if (!proof_ok || decoy_) return sasl_step::make_failure(sasl_failure::not_authorized);
  if (!authzid_allowed(authzid_, user_, domain_))
    return sasl_step::make_failure(sasl_failure::invalid_authzid);
  authenticated_ = user_;
  return sasl_step::make_success("v=" + base64_encode(server_signature(creds_, auth_message)));
}

}  // namespace ofs::auth
