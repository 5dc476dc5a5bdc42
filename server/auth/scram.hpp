#pragma once
// SCRAM credentials (RFC 5802, RFC 7677): what the server keeps instead of a password.
// StoredKey = H(ClientKey), ServerKey = HMAC(SaltedPassword, "Server Key"), with
// SaltedPassword = PBKDF2(password, salt, iterations). Byte strings are raw, not base64.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ofs::auth {

enum class scram_hash { sha1, sha256 };

struct scram_credentials {
  scram_hash hash = scram_hash::sha256;
  std::string salt;
  std::uint32_t iterations = 0;
  std::string stored_key;
  std::string server_key;
  friend bool operator==(const scram_credentials&, const scram_credentials&) = default;
};

inline constexpr std::uint32_t default_iterations = 4096;

// "SCRAM-SHA-1" / "SCRAM-SHA-256" (the mechanism name without -PLUS); hash_from_name takes
// exactly these two names.
std::string_view mechanism_name(scram_hash h);
std::optional<scram_hash> hash_from_name(std::string_view name);

// Derives credentials from a password (already SASLprep'd by the caller) and a salt;
// iterations must be at least 1 (std::invalid_argument otherwise: a caller bug).
scram_credentials derive_credentials(scram_hash h, std::string_view password,
                                     std::string_view salt, std::uint32_t iterations);
// Same, with a fresh random 16-byte salt.
scram_credentials make_credentials(scram_hash h, std::string_view password,
                                   std::uint32_t iterations = default_iterations);

// The checks a SCRAM server makes with stored credentials (RFC 5802 section 3). auth_message
// is client-first-bare "," server-first "," client-final-without-proof; proof is raw bytes.
// The proof check runs in constant time.
bool verify_client_proof(const scram_credentials& c, std::string_view auth_message,
                         std::string_view client_proof);
std::string server_signature(const scram_credentials& c, std::string_view auth_message);

// SASLprep (RFC 4013, stored strings: unassigned code points refused) of a password or user
// name; nullopt when it is not allowed or prepares to the empty string.
std::optional<std::string> saslprep(std::string_view in);

}  // namespace ofs::auth
