#pragma once
// ANONYMOUS (RFC 4505), server side: the client may send a trace (an e-mail address or an
// opaque token, at most 255 characters, kept for the log only) and becomes a fresh, random
// localpart of the stream's domain. Offered only on a domain the configuration gives to
// visitors; rate limits are the session's, which knows the peer's address.
#include <string>

#include "server/auth/sasl.hpp"

namespace ofs::auth {

class anonymous_server final : public sasl_mechanism {
public:
  std::string_view name() const override { return "ANONYMOUS"; }
  bool requires_tls() const override { return false; }
  sasl_step start(std::optional<std::string_view> initial_response) override;
  sasl_step step(std::string_view response) override;
  sasl_step set_credentials(std::optional<std::vector<scram_credentials>> creds) override;
  const std::string& username() const override { return user_; }
  const std::string& authenticated_user() const override { return user_; }
  const std::string& trace() const { return trace_; }

private:
  sasl_step accept(std::string_view trace);
  bool started_ = false;
  bool done_ = false;
  std::string user_, trace_;
};

// A localpart no account can have: "visitor-" and 16 random characters of [a-z0-9].
std::string random_visitor_name();

}  // namespace ofs::auth
