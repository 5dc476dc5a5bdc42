#pragma once
// XEP-0191 blocking command: a user's block list (get, block, unblock, unblock-all), kept
// in the private store as "blocklist", pushed to the user's resources that asked for it,
// and enforced both ways: nothing from a blocked JID reaches the user (iq requests get
// <service-unavailable/>), and what the user sends to one comes back <not-acceptable/>.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "server/core/jid.hpp"

namespace ofs::im {

class service;

inline constexpr std::string_view blocking_ns = "urn:xmpp:blocking";
inline constexpr std::string_view blocking_errors_ns = "urn:xmpp:blocking:errors";

// High-priority router hooks (full and bare JIDs) and an outbound hook for messages,
// presence and iqs, the iq handler on the user's bare JID; advertises urn:xmpp:blocking.
void install_blocking(service& svc);

// For other front-ends that edit the list (XCAP pres-rules), on the user's shard, after
// install_blocking. load: the items, nullopt when the store failed. replace: stores the new
// list, then pushes <block/> and <unblock/> for the difference (XEP-0191 3.3, 3.4) and takes
// presence back from newly blocked contacts; false when the store failed.
boost::asio::awaitable<std::optional<std::vector<core::jid>>> load_block_list(service& svc, core::jid user);
boost::asio::awaitable<bool> replace_block_list(service& svc, core::jid user, std::vector<core::jid> items);

}  // namespace ofs::im
