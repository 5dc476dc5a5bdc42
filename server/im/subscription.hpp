#pragma once
// Presence subscriptions (RFC 6121 section 3): subscribe, subscribed, unsubscribe and
// unsubscribed, outbound from a client and inbound from a contact, each applied to the
// roster owner's item on the owner's shard (subscription_state.hpp), stored through the
// roster cache, pushed to the interested resources, then routed or delivered.
#include <boost/asio/awaitable.hpp>

#include "server/core/stanza.hpp"
#include "server/im/subscription_state.hpp"

namespace ofs::im {

class service;

// What a client's subscription stanza s (from the owner, to a contact) does, for front-ends
// that act for the owner without a session (XCAP). On the owner's shard.
boost::asio::awaitable<void> owner_subscription(service& svc, sub_kind k, core::stanza s);

// Registers the outbound hook for client subscription stanzas and the inbound hooks for
// subscription stanzas to local bare and full JIDs (a full JID counts as its bare one).
void install_subscription(service& svc);

}  // namespace ofs::im
