#pragma once
// The [muc] section of the configuration: the multi-user chat service and the rooms the
// configuration declares (created at start-up, persistent).
#include <cstddef>
#include <string>
#include <vector>

#include "server/muc/room_config.hpp"

namespace ofs::muc {

struct declared_room {
  std::string name;                 // the room's node: name@<service domain>
  room_config config;               // persistent whatever the file says
  std::vector<std::string> owners;  // bare JIDs
};

struct service_config {
  bool enabled = true;
  std::string domain;                    // empty: "conference." + the first served domain
  std::size_t max_occupants = 10000;     // per room; a room's own limit is at most this
  std::size_t default_occupants = 1000;  // muc#roomconfig_maxusers of a new room
  std::size_t history_length = 20;       // muc#maxhistoryfetch of a new room
  std::string create_rooms = "local";    // anyone | local (users of served domains) | admins
  std::vector<std::string> admins;       // bare JIDs that own every room
  std::vector<declared_room> rooms;
  std::size_t shards = 16;  // strands the rooms are spread over
};

}  // namespace ofs::muc
