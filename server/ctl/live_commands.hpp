#pragma once
// The ofsctl commands that ask the running server (over its control socket) rather than
// the store: who is online, kick, announce, statistics. Each prints the answer as text, or
// as the server's JSON with --json, and returns the exit code.
#include <string>

#include "server/app/config.hpp"

namespace ofs::ctl {

int list_sessions(const app::config& c, bool json);
int kick(const app::config& c, const std::string& jid, const std::string& reason, bool json);
int announce(const app::config& c, const std::string& text, bool json);
int stats(const app::config& c, bool json);
int revoke_tokens(const app::config& c, const std::string& jid, bool json);
// Prints what was applied and what needs a restart; 1 when the server refused the file.
int reload(const app::config& c, bool json);

}  // namespace ofs::ctl
