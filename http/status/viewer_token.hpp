#pragma once
// Signed viewer tokens: a portal that knows who looks at its page asks for a token (ofsctl
// sis-token) and adds it to the image URL; the image then shows what that viewer may see.
// Form: "v1.<expiry, Unix seconds>.<hex of the viewer's bare JID>.<hex of HMAC-SHA-256>",
// the MAC over "ofs-sis-token-v1\n<viewer>\n<expiry>" with a 32-byte key kept in a file
// (created with mode 0600 on first use). URL-safe as it is.
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "server/core/jid.hpp"

namespace ofs::http::status {

class token_key {
public:
  // Reads the key file, or creates it with a new random key if absent. nullopt and `error`
  // when it cannot be read or written, or holds no key.
  static std::optional<token_key> load_or_create(const std::filesystem::path& file, std::string& error);
  static token_key from_bytes(std::string key);  // tests

  std::string issue(const core::jid& viewer, std::chrono::sys_seconds expiry) const;
  // The viewer of a well-formed, correctly signed token that has not expired at `now`;
  // otherwise nullopt and `why` (malformed, bad signature, expired).
  std::optional<core::jid> verify(std::string_view token, std::chrono::sys_seconds now,
                                  std::string& why) const;

private:
  explicit token_key(std::string key) : key_(std::move(key)) {}
  std::string mac(std::string_view viewer, std::int64_t expiry) const;
  std::string key_;
};

}  // namespace ofs::http::status
