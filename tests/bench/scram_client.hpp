#pragma once
// The client side of SASL SCRAM-SHA-1 (RFC 5802) and SCRAM-SHA-256 (RFC 7677) for the load
// generator, without channel binding. The client derives the salted password, so a login
// costs the server no key derivation; like real clients, it keeps the keys derived for an
// account's (salt, iteration count) in a scram_key_cache and skips PBKDF2 when they recur.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ofs::bench {

enum class scram_hash { sha1, sha256 };

// ClientKey and ServerKey per (hash, user, salt, iteration count). One per fleet's thread.
class scram_key_cache {
public:
  struct keys {
    std::vector<unsigned char> client_key, server_key;
  };
  const keys* find(const std::string& id) const;
  void store(std::string id, keys k) { keys_[std::move(id)] = std::move(k); }
  std::uint64_t derived = 0, reused = 0;  // PBKDF2 runs; logins that skipped it

private:
  std::map<std::string, keys, std::less<>> keys_;
};

class scram_client {
public:
  // An empty nonce picks a random one (a fixed one is for the RFC examples); cache may be null.
  scram_client(scram_hash hash, std::string user, std::string password, scram_key_cache* cache = nullptr,
               std::string nonce = {});
  std::string_view mechanism() const;  // "SCRAM-SHA-1" or "SCRAM-SHA-256"
  // client-first-message, raw (the caller base64-encodes it into <auth/>).
  std::string first();
  // client-final-message for the server-first-message; nullopt if that is malformed or its
  // nonce does not extend ours.
  std::optional<std::string> final(std::string_view server_first);
  // Whether the server-final-message ("v=...") proves the server knows the stored keys.
  bool verify(std::string_view server_final) const;

private:
  scram_hash hash_;
  std::string user_, password_, nonce_, first_bare_, server_signature_;
  scram_key_cache* cache_;
};

}  // namespace ofs::bench
