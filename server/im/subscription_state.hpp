#pragma once
// The subscription state machine of RFC 6121 Appendix A as pure functions on one roster item,
// seen from its owner: what a subscription stanza the owner sends (outbound) or receives
// (inbound) does to the item, and what the server must send because of it.
#include <optional>
#include <string_view>

#include "server/storage/store.hpp"

namespace ofs::im {

enum class sub_kind { subscribe, subscribed, unsubscribe, unsubscribed };

// The kind for a presence 'type', or nullopt when it is not a subscription stanza.
std::optional<sub_kind> sub_kind_of(std::string_view type);
std::string_view to_string(sub_kind k);

struct sub_effect {
  enum class presence_to_contact { nothing, available, unavailable };
  bool changed = false;           // the item changed: store it and push it
  bool forward = false;           // route the stanza to the contact / deliver it to the owner
  bool reply_subscribed = false;  // inbound only: answer 'subscribed' on the owner's behalf
  presence_to_contact presence = presence_to_contact::nothing;  // from the owner's resources
};

// A.2: the owner sent k to the item's contact.
sub_effect outbound_transition(sub_kind k, storage::roster_item& item);
// A.3: the item's contact sent k to the owner.
sub_effect inbound_transition(sub_kind k, storage::roster_item& item);

// Whether the roster shows the item. A contact known only from a subscription request the
// owner has not answered is not in the roster yet (RFC 6121 3.1.3); a name or a group
// tells that the owner added it.
bool listed(const storage::roster_item& item);
// Whether the item holds nothing worth keeping.
bool vacant(const storage::roster_item& item);

}  // namespace ofs::im
