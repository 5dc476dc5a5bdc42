#pragma once
// Small pieces every IM feature needs: iq replies, the payload of a request, UTC stamps
// (XEP-0082) and stored XML (features keep elements in the store as serialized text).
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "server/core/router.hpp"
#include "server/core/stanza.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {

// Hook priorities (higher runs first): access control before storage fallbacks.
inline constexpr int blocking_priority = 1000;
inline constexpr int archive_priority = 500;  // stamps the stanza-id carbons then copy
inline constexpr int carbons_priority = 400;
inline constexpr int offline_priority = -100;

bool is_request(const core::stanza& s);  // an iq of type get or set
// The first element child, or nullptr.
const core::element* payload(const core::stanza& s);
// from = the request's 'to', to = its 'from', type result, same id, no payload.
core::stanza make_result(const core::stanza& request);
// An iq result carrying `child`.
core::stanza make_result(const core::stanza& request, core::element child);
// True when the sender is the account the stanza is addressed to (an iq without 'to'
// arrives addressed to the sender's bare JID).
bool from_owner(const core::stanza& s);
// A stanza from an element the server built itself (its addresses are known to be valid).
core::stanza make_stanza(core::element e);

// True when `who` is `owner` or has a subscription to the owner's presence (from or both
// in the owner's roster): who may see what a presence subscription reveals.
boost::asio::awaitable<result<bool>> may_see_presence(storage::store& store, core::jid owner, core::jid who);

// Answers a request whose store call failed with <internal-server-error type='wait'/>
// (nothing was changed; the sender may try again), and logs it.
void bounce_store_error(core::router& r, const core::stanza& request);

// False for a message that means nothing later: only chat states (XEP-0085), hints or a
// thread, or a message its sender asked not to store (XEP-0334 no-store, no-permanent-store).
bool worth_storing(const core::element& message);

// "2002-09-10T23:08:25Z"
std::string utc_timestamp(std::chrono::system_clock::time_point t);

// The element as text for the store, and back. Parsing refuses anything the c2s stream
// parser would refuse; nullopt for text that is not one element.
std::string to_stored(const core::element& e);
std::optional<core::element> from_stored(std::string_view xml);

}  // namespace ofs::im
