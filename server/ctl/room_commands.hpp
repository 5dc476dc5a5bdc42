#pragma once
// ofsctl's multi-user chat commands. With ofsd running they go through its control socket and
// change the live rooms; with ofsd stopped they work on the store (persistent rooms only), so
// that rooms can be prepared before the first start.
#include <string>
#include <vector>

#include "server/app/config.hpp"

namespace ofs::ctl {

struct room_options {
  std::string title, password;
  bool members_only = false, moderated = false, hidden = false, temporary = false;
  std::vector<std::string> owners;
};

int create_room(const app::config& c, const std::string& room, const room_options& o, bool json);
int list_rooms(const app::config& c, bool json);
int destroy_room(const app::config& c, const std::string& room, const std::string& reason, bool json);
int set_affiliation(const app::config& c, const std::string& room, const std::string& jid,
                    const std::string& affiliation, bool json);

}  // namespace ofs::ctl
