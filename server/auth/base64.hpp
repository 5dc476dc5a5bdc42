#pragma once
// Base64 (RFC 4648 section 4, standard alphabet) for SASL payloads and SCRAM attributes.
#include <optional>
#include <string>
#include <string_view>

namespace ofs::auth {

std::string base64_encode(std::string_view bytes);
// Strict: only the standard alphabet, length a multiple of 4, '=' only as final padding,
// unused bits of the last group zero, no whitespace. nullopt for anything else.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace ofs::auth
