#include "server/muc/nickname.hpp"

#include <stringprep.h>

#include <cstdlib>
#include <memory>

namespace ofs::muc {
namespace {

constexpr std::size_t max_bytes = 1023;

// Decodes one UTF-8 code point at s[i]; false on a malformed or overlong sequence.
bool decode(std::string_view s, std::size_t& i, char32_t& cp) {
  const auto b = static_cast<unsigned char>(s[i]);
  int extra = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size() + (extra == 0 ? 1 : 0)) return false;
  cp = extra == 0 ? b : b & (0x3f >> extra);
  for (int k = 1; k <= extra; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xc0) != 0x80) return false;
    cp = (cp << 6) | (c & 0x3f);
  }
  static constexpr char32_t min_of[] = {0, 0x80, 0x800, 0x10000};
  if (cp < min_of[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
  i += extra + 1;
  return true;
}

void encode(char32_t cp, std::string& out) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xc0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xe0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  } else {
    out += static_cast<char>(0xf0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3f));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3f));
    out += static_cast<char>(0x80 | (cp & 0x3f));
  }
}

bool is_space(char32_t c) {  // Unicode Zs, mapped to U+0020 (RFC 8266 2.2 rule 1)
  return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x202f ||
         c == 0x205f || c == 0x3000;
}

// Controls, Default_Ignorable_Code_Point (invisible), noncharacters: FreeformClass disallows them.
bool disallowed(char32_t c) {
  if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  if (c == 0xad || c == 0x34f || c == 0x61c || c == 0x115f || c == 0x1160 || c == 0x17b4 || c == 0x17b5)
    return true;
  if ((c >= 0x180b && c <= 0x180f) || (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
      (c >= 0x2060 && c <= 0x206f) || c == 0x3164 || (c >= 0xfe00 && c <= 0xfe0f) || c == 0xfeff ||
      c == 0xffa0 || (c >= 0xfff0 && c <= 0xfffb) || (c >= 0x1bca0 && c <= 0x1bca3) ||
      (c >= 0x1d173 && c <= 0x1d17a) || (c >= 0xe0000 && c <= 0xe0fff))
    return true;
  if ((c >= 0xfdd0 && c <= 0xfdef) || (c & 0xfffe) == 0xfffe) return true;  // noncharacters
  if ((c >= 0xe000 && c <= 0xf8ff) || c >= 0xf0000) return true;            // private use
  return false;
}

}  // namespace

std::optional<std::string> prepare_nickname(std::string_view in) {
  if (in.empty() || in.size() > max_bytes) return std::nullopt;
  // Rule 1: every space to U+0020; rules 2 and 3: trimmed, runs collapsed.
  std::string mapped;
  bool pending_space = false;
  for (std::size_t i = 0; i < in.size();) {
    char32_t cp;
    if (!decode(in, i, cp) || disallowed(cp)) return std::nullopt;
    if (is_space(cp)) {
      pending_space = !mapped.empty();
      continue;
    }
    if (pending_space) mapped += ' ';
    pending_space = false;
    encode(cp, mapped);
  }
  if (mapped.empty()) return std::nullopt;
  // Rule 4: NFKC (also the width mapping of rule 1).
  std::unique_ptr<char, decltype(&std::free)> nfkc(
      stringprep_utf8_nfkc_normalize(mapped.data(), static_cast<ssize_t>(mapped.size())), &std::free);
  if (!nfkc) return std::nullopt;
  std::string out(nfkc.get());
  if (out.empty() || out.size() > max_bytes) return std::nullopt;
  return out;
}

}  // namespace ofs::muc
