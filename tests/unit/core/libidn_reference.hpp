#pragma once
// What libidn makes of a string under a stringprep profile: the reference that the JID ASCII
// fast paths are checked against (core_test and jid_fuzz).
#include <stringprep.h>

#include <optional>
#include <string>
#include <string_view>

namespace ofs::test {

inline std::optional<std::string> libidn_prep(std::string_view in, const Stringprep_profile* profile) {
  std::string buf(in);
  buf.resize(in.size() * 4 + 16, '\0');
  if (stringprep(buf.data(), buf.size(), STRINGPREP_NO_UNASSIGNED, profile) != STRINGPREP_OK)
    return std::nullopt;
  return std::string(buf.c_str());
}

}  // namespace ofs::test
