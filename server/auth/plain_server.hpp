#pragma once
// PLAIN (RFC 4616), server side: "authzid NUL authcid NUL passwd", checked against the same
// SCRAM credentials the store keeps (the password is salted and hashed, never stored).
#include <string>

#include "server/auth/sasl.hpp"

namespace ofs::auth {

class plain_server final : public sasl_mechanism {
public:
  explicit plain_server(std::string domain);
  ~plain_server() override;  // wipes the password

  std::string_view name() const override { return "PLAIN"; }
  bool requires_tls() const override { return true; }
  bool derives_keys() const override { return true; }
  sasl_step start(std::optional<std::string_view> initial_response) override;
  sasl_step step(std::string_view response) override;
  sasl_step set_credentials(std::optional<std::vector<scram_credentials>> creds) override;
  const std::string& username() const override { return user_; }
  const std::string& authenticated_user() const override { return authenticated_; }

private:
  enum class state { initial, message, credentials, done };
  sasl_step message(std::string_view m);
  sasl_step verify(const scram_credentials* real);

  std::string domain_;
  state state_ = state::initial;
  std::string authzid_, claimed_name_, user_, password_;
  bool password_ok_ = false;  // SASLprep accepted it
  std::string authenticated_;
};

}  // namespace ofs::auth
