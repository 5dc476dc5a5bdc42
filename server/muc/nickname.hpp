#pragma once
// Room nicknames: the PRECIS Nickname profile (RFC 8266) as far as libidn allows: width and
// space mapping, trimming and collapsing spaces, NFKC; refused when empty, over 1023 bytes,
// not UTF-8, or holding control, default-ignorable (invisible) or non-characters.
#include <optional>
#include <string>
#include <string_view>

namespace ofs::muc {

// The enforced form of a nickname, or nullopt when it is not allowed.
std::optional<std::string> prepare_nickname(std::string_view in);

}  // namespace ofs::muc
