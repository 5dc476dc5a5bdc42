#include "server/auth/base64.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace ofs::auth {
namespace {

// OpenSSL's block functions take an int length; 3 * 2^14 input bytes encode to 2^16 exactly.
constexpr std::size_t encode_block = 3 * 16384;
constexpr std::size_t decode_block = 4 * 16384;

int sextet(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out((in.size() + 2) / 3 * 4, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (std::size_t at = 0; at < in.size(); at += encode_block) {
    auto n = std::min(encode_block, in.size() - at);
    dst += EVP_EncodeBlock(dst, bytes_of(in) + at, static_cast<int>(n));
  }
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  // EVP_DecodeBlock skips whitespace and does not check padding, so validate first.
  if (in.size() % 4 != 0) return std::nullopt;
  std::size_t pad = 0;
  while (pad < 2 && pad < in.size() && in[in.size() - 1 - pad] == '=') ++pad;
  auto body = in.substr(0, in.size() - pad);
  if (!std::all_of(body.begin(), body.end(), [](char c) { return sextet(c) >= 0; }))
    return std::nullopt;  // also rejects a third '='
  // Canonical form: the bits that padding leaves over must be zero (RFC 4648 section 3.5).
  if (pad == 1 && (sextet(body.back()) & 0x03) != 0) return std::nullopt;
  if (pad == 2 && (sextet(body.back()) & 0x0f) != 0) return std::nullopt;

  std::string out(in.size() / 4 * 3, '\0');
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  for (std::size_t at = 0; at < in.size(); at += decode_block) {
    auto n = std::min(decode_block, in.size() - at);
    if (EVP_DecodeBlock(dst, bytes_of(in) + at, static_cast<int>(n)) < 0) return std::nullopt;
    dst += n / 4 * 3;
  }
  out.resize(out.size() - pad);  // EVP_DecodeBlock counts padding as zero bytes
  return out;
}

}  // namespace ofs::auth
