#pragma once
// The client side of SASL SCRAM-SHA-1 (RFC 5802) for the load generator, without channel
// binding: with it the client, not the server, derives the salted password, so a login
// costs the server no key derivation (with PLAIN against stored SCRAM keys it does).
#include <optional>
#include <string>
#include <string_view>

namespace ofs::bench {

class scram_sha1_client {
public:
  scram_sha1_client(std::string user, std::string password);
  // client-first-message, raw (the caller base64-encodes it into <auth/>).
  std::string first();
  // client-final-message for the server-first-message; nullopt if that is malformed or its
  // nonce does not extend ours.
  std::optional<std::string> final(std::string_view server_first);

private:
  std::string user_, password_, nonce_, first_bare_;
};

}  // namespace ofs::bench
