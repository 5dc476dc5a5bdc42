#pragma once
// jabber:iq:roster (RFC 6121 section 2) with roster versioning (XEP-0237): roster get and
// set, each run on the owner's shard against the roster cache, and the roster pushes that
// every change sends to the owner's interested resources.
#include <cstdint>
#include <string_view>

#include "server/core/element.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {

class service;

inline constexpr std::string_view roster_ns = "jabber:iq:roster";

void install_roster(service& svc);

// <item jid=... name=... subscription=... ask=... approved=...><group/>...</item>
core::element encode_item(const storage::roster_item& item);
// The roster push for item (subscription::remove for a removal), stamped with the roster's
// version, to every interested resource of user. On the user's shard, after the change.
void push_roster_item(service& svc, const core::jid& user, const storage::roster_item& item,
                      std::uint64_t version);
// The push for a change of one item: the item if the roster shows it now, a removal if it
// showed it before, nothing if the owner never saw it.
// RFC 6121 2.5.2: removing a contact also ends both subscriptions and any pending request;
// `was` is the item before its removal. On the owner's shard, after the removal is stored.
void end_subscriptions(service& svc, const core::jid& owner, const storage::roster_item& was);
void push_change(service& svc, const core::jid& user, bool listed_before, const storage::roster_item& now,
                 std::uint64_t version);

}  // namespace ofs::im
