#pragma once
// XEP-0191 blocking command: a user's block list (get, block, unblock, unblock-all), kept
// in the private store as "blocklist", pushed to the user's resources that asked for it,
// and enforced both ways: nothing from a blocked JID reaches the user (iq requests get
// <service-unavailable/>), and what the user sends to one comes back <not-acceptable/>.
#include <string_view>

namespace ofs::im {

class service;

inline constexpr std::string_view blocking_ns = "urn:xmpp:blocking";
inline constexpr std::string_view blocking_errors_ns = "urn:xmpp:blocking:errors";

// High-priority router hooks (full and bare JIDs) and an outbound hook for messages,
// presence and iqs, the iq handler on the user's bare JID; advertises urn:xmpp:blocking.
void install_blocking(service& svc);

}  // namespace ofs::im
