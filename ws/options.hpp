#pragma once
// Configuration of XMPP over WebSocket (RFC 7395), from the [websocket] section.
#include <cstddef>
#include <string>
#include <vector>

namespace ofs::ws {

struct options {
  std::vector<std::string> allowed_origins;  // empty: any Origin, but only from loopback
  std::string see_other_uri;                 // set: every new stream is sent there (RFC 7395 3.6.1)
  bool allow_plain_http_logins = false;      // over ws:// from hosts other than loopback
  std::size_t max_outbox_bytes = 4 << 20;    // a peer that does not read is closed past this
};

}  // namespace ofs::ws
