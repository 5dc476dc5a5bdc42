#pragma once
// Presence subscriptions (RFC 6121 section 3): subscribe, subscribed, unsubscribe and
// unsubscribed, outbound from a client and inbound from a contact, each applied to the
// roster owner's item on the owner's shard (subscription_state.hpp), stored through the
// roster cache, pushed to the interested resources, then routed or delivered.
namespace ofs::im {

class service;

// Registers the outbound hook for client subscription stanzas and the inbound hooks for
// subscription stanzas to local bare and full JIDs (a full JID counts as its bare one).
void install_subscription(service& svc);

}  // namespace ofs::im
