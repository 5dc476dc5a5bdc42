#pragma once
// Configuration of XMPP over BOSH (XEP-0124, XEP-0206), from the [bosh] section. The client
// asks for wait, hold and inactivity; the server grants at most these.
#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace ofs::bosh {

struct options {
  std::chrono::seconds max_wait{60};         // longest a request is held without data
  unsigned max_hold = 1;                     // requests held at once
  unsigned max_requests = 2;                 // simultaneous requests (and the rid window)
  std::chrono::seconds max_inactivity{60};   // no request held this long: session ended
  std::chrono::seconds max_pause{120};       // longest 'pause' a client may ask for
  std::chrono::seconds polling{2};           // hold='0' sessions: least time between empty requests
  std::size_t max_buffered_bytes = 1 << 20;  // output waiting for a request; past it: ended
  std::vector<std::string> allowed_origins;  // empty: any Origin, but only from loopback
  bool allow_plain_http_logins = false;      // over http:// from hosts other than loopback
};

}  // namespace ofs::bosh
