#pragma once
// SCRAM-SHA-1, SCRAM-SHA-256 and their -PLUS variants, server side (RFC 5802, RFC 7677), with
// channel binding by tls-exporter (RFC 9266) or tls-server-end-point (RFC 5929). An unknown
// user gets a decoy salt and the same failure as a wrong password, at the very end.
#include <string>
#include <string_view>

#include "server/auth/sasl.hpp"

namespace ofs::auth {

class scram_server final : public sasl_mechanism {
public:
  // plus: this is the -PLUS variant; o.plus_offered() says whether a client sending "y" (it
  // supports binding but believes we do not) was the victim of a downgrade. server_nonce:
  // empty for 24 random bytes in base64; tests pass the RFC examples' nonce.
  scram_server(scram_hash h, bool plus, const sasl_options& o, std::string server_nonce = {});

  std::string_view name() const override { return name_; }
  bool requires_tls() const override { return false; }
  sasl_step start(std::optional<std::string_view> initial_response) override;
  sasl_step step(std::string_view response) override;
  sasl_step set_credentials(std::optional<std::vector<scram_credentials>> creds) override;
  const std::string& username() const override { return user_; }
  const std::string& authenticated_user() const override { return authenticated_; }

private:
  enum class state { initial, client_first, credentials, client_final, done };
  sasl_step client_first(std::string_view m);
  std::optional<sasl_step> parse_gs2_header(std::string_view flag, std::string_view authzid);
  sasl_step server_first(const scram_credentials* real);
  sasl_step client_final(std::string_view m);
  sasl_step finish(sasl_step s);  // ends the exchange on success or failure

  scram_hash hash_;
  bool plus_;
  bool plus_offered_;
  std::string name_, domain_;
  channel_binding cb_;
  std::string server_nonce_;
  state state_ = state::initial;

  std::string gs2_header_, cb_data_, authzid_, client_first_bare_, claimed_name_, user_;
  std::string nonce_, server_first_;  // nonce_: client's part then ours
  scram_credentials creds_;
  bool decoy_ = false;
  std::string authenticated_;
};

}  // namespace ofs::auth
