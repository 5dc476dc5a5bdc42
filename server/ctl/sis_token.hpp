#pragma once
// ofsctl sis-token: a signed viewer token for the status images, with the key ofsd uses.
#include <chrono>
#include <string>

#include "server/app/config.hpp"

namespace ofs::ctl {

// Prints the token (or, as_json, {"viewer", "token", "expires"}); exit code as commands.hpp.
int sis_token(const app::config& cfg, const std::string& viewer, std::chrono::seconds lifetime, bool as_json);

}  // namespace ofs::ctl
