#include "http/status/viewer_token.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <sstream>

namespace ofs::http::status {
namespace {

constexpr std::size_t key_bytes = 32;

std::string hex(std::string_view bytes) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) out += digits[c >> 4], out += digits[c & 15];
  return out;
}

std::optional<std::string> unhex(std::string_view text) {
  if (text.size() % 2) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < text.size(); i += 2) {
    unsigned v = 0;
    auto [end, ec] = std::from_chars(text.data() + i, text.data() + i + 2, v, 16);
    if (ec != std::errc() || end != text.data() + i + 2) return std::nullopt;
    out += static_cast<char>(v);
  }
  return out;
}

std::string_view next_field(std::string_view& rest) {
  auto dot = rest.find('.');
  std::string_view field = rest.substr(0, dot);
  rest = dot == rest.npos ? std::string_view() : rest.substr(dot + 1);
  return field;
}

}  // namespace

std::optional<token_key> token_key::load_or_create(const std::filesystem::path& file, std::string& error) {
  std::ifstream in(file);
  if (!in) {
    std::string key(key_bytes, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), key_bytes) != 1) {
      error = "no random bytes for the viewer token key";
      return std::nullopt;
    }
    // O_EXCL: two processes starting at once do not overwrite each other's key.
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) return load_or_create(file, error);
    const std::string text = hex(key) + "\n";
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      if (fd >= 0) ::close(fd);
      error = "cannot write the viewer token key " + file.string();
      return std::nullopt;
    }
    ::close(fd);
    return token_key(std::move(key));
  }
  std::string line;
  std::getline(in, line);
  auto key = unhex(line);
  if (!key || key->size() < 16) {
    error = file.string() + " does not hold a viewer token key (at least 32 hex digits on one line)";
    return std::nullopt;
  }
  return token_key(std::move(*key));
}

token_key token_key::from_bytes(std::string key) { return token_key(std::move(key)); }

std::string token_key::mac(std::string_view viewer, std::int64_t expiry) const {
  const std::string data = "ofs-sis-token-v1\n" + std::string(viewer) + "\n" + std::to_string(expiry);
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<char*>(out), n);
}

std::string token_key::issue(const core::jid& viewer, std::chrono::sys_seconds expiry) const {
  const std::string who = viewer.bare_str();
  const std::int64_t when = expiry.time_since_epoch().count();
  return "v1." + std::to_string(when) + "." + hex(who) + "." + hex(mac(who, when));
}

std::optional<core::jid> token_key::verify(std::string_view token, std::chrono::sys_seconds now,
                                           std::string& why) const {
  std::string_view rest = token;
  const auto version = next_field(rest), expiry_text = next_field(rest), viewer_hex = next_field(rest);
  const auto mac_hex = rest;
  std::int64_t expiry = 0;
  auto [end, ec] = std::from_chars(expiry_text.data(), expiry_text.data() + expiry_text.size(), expiry);
  auto viewer = unhex(viewer_hex);
  auto given = unhex(mac_hex);
  if (version != "v1" || ec != std::errc() || end != expiry_text.data() + expiry_text.size() || !viewer ||
      !given || mac_hex.find('.') != mac_hex.npos) {
    why = "malformed viewer token";
    return std::nullopt;
  }
  const std::string expected = mac(*viewer, expiry);
  if (given->size() != expected.size() ||
      CRYPTO_memcmp(given->data(), expected.data(), expected.size()) != 0) {
    why = "viewer token with a bad signature";
    return std::nullopt;
  }
  if (expiry <= now.time_since_epoch().count()) {
    why = "expired viewer token";
    return std::nullopt;
  }
  auto j = core::jid::parse(*viewer);
  if (!j || !j->is_bare()) {
    why = "viewer token naming no bare JID";
    return std::nullopt;
  }
  return *j;
}

}  // namespace ofs::http::status
