#pragma once
// XEP-0280 message carbons (urn:xmpp:carbons:2). A session enables or disables them with an
// iq to its own account; then it gets a <sent/> copy of what the account's other resources
// send and a <received/> copy of what they receive, for chat messages and normal ones with
// a body, unless the message is marked <private/> or <no-copy/>. A resource that gets the
// message itself (a message to the bare JID reaches every top-priority resource) gets no copy.
#include <string_view>

namespace ofs::im {

class service;

inline constexpr std::string_view carbons_ns = "urn:xmpp:carbons:2";

void install_carbons(service& svc);

}  // namespace ofs::im
