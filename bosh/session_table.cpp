#include "bosh/session_table.hpp"

#include <openssl/rand.h>

#include <array>

namespace ofs::bosh {

std::optional<std::string> new_sid() {
  std::array<unsigned char, 16> raw{};
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) return std::nullopt;
  static constexpr char hex[] = "0123456789abcdef";
  std::string sid;
  for (unsigned char b : raw) {
    sid.push_back(hex[b >> 4]);
    sid.push_back(hex[b & 15]);
  }
  return sid;
}

}  // namespace ofs::bosh
