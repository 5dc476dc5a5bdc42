#include "server/im/subscription_state.hpp"

#include "server/im/roster_cache.hpp"

namespace ofs::im {
namespace {

using storage::subscription;
using send = sub_effect::presence_to_contact;

subscription add_to(subscription s) { return has_from(s) ? subscription::both : subscription::to; }
subscription add_from(subscription s) { return has_to(s) ? subscription::both : subscription::from; }
subscription drop_to(subscription s) {
  return s == subscription::both ? subscription::from : s == subscription::to ? subscription::none : s;
}
subscription drop_from(subscription s) {
  return s == subscription::both ? subscription::to : s == subscription::from ? subscription::none : s;
}

// Applies the new values and tells whether anything changed.
bool assign(storage::roster_item& item, subscription sub, bool ask_out, bool pending_in, bool approved) {
  bool changed = item.sub != sub || item.ask_out != ask_out || item.pending_in != pending_in ||
                 item.approved != approved;
  item.sub = sub;
  item.ask_out = ask_out;
  item.pending_in = pending_in;
  item.approved = approved;
  return changed;
}

}  // namespace

std::optional<sub_kind> sub_kind_of(std::string_view type) {
  if (type == "subscribe") return sub_kind::subscribe;
  if (type == "subscribed") return sub_kind::subscribed;
  if (type == "unsubscribe") return sub_kind::unsubscribe;
  if (type == "unsubscribed") return sub_kind::unsubscribed;
  return std::nullopt;
}

std::string_view to_string(sub_kind k) {
  switch (k) {
    case sub_kind::subscribe: return "subscribe";
    case sub_kind::subscribed: return "subscribed";
    case sub_kind::unsubscribe: return "unsubscribe";
    case sub_kind::unsubscribed: return "unsubscribed";
  }
  return {};
}

sub_effect outbound_transition(sub_kind k, storage::roster_item& item) {
  sub_effect e;
  auto& i = item;
  switch (k) {
    case sub_kind::subscribe:  // A.2.1: pending out unless already subscribed; routed always
      e.changed = assign(i, i.sub, i.ask_out || !has_to(i.sub), i.pending_in, i.approved);
      e.forward = true;
      return e;
    case sub_kind::unsubscribe:  // A.2.2
      e.changed = assign(i, drop_to(i.sub), false, i.pending_in, i.approved);
      e.forward = true;
      return e;
    case sub_kind::subscribed:  // A.2.3: approve a pending request, else pre-approve (3.4)
      if (i.pending_in) {
        e.changed = assign(i, add_from(i.sub), i.ask_out, false, false);
        e.forward = true;
        e.presence = send::available;
      } else if (!has_from(i.sub)) {
        e.changed = assign(i, i.sub, i.ask_out, false, true);  // not routed (3.4.1)
      }
      return e;
    case sub_kind::unsubscribed:  // A.2.4: cancel or deny; also cancels a pre-approval
      if (i.pending_in || has_from(i.sub)) {
        if (has_from(i.sub)) e.presence = send::unavailable;
        e.changed = assign(i, drop_from(i.sub), i.ask_out, false, false);
        e.forward = true;
      } else {
        e.changed = assign(i, i.sub, i.ask_out, false, false);
      }
      return e;
  }
  return e;
}

sub_effect inbound_transition(sub_kind k, storage::roster_item& item) {
  sub_effect e;
  auto& i = item;
  switch (k) {
    case sub_kind::subscribe:  // A.3.1
      if (has_from(i.sub)) {
        e.reply_subscribed = true;  // already subscribed: answer, tell nobody (3.1.3)
      } else if (i.approved) {
        e.changed = assign(i, add_from(i.sub), i.ask_out, false, false);  // pre-approved (3.4)
        e.reply_subscribed = true;
        e.presence = send::available;
      } else {
        e.changed = assign(i, i.sub, i.ask_out, true, i.approved);
        e.forward = true;
      }
      return e;
    case sub_kind::subscribed:  // A.3.3: only an answer to our own request counts
      if (i.ask_out && !has_to(i.sub)) {
        e.changed = assign(i, add_to(i.sub), false, i.pending_in, i.approved);
        e.forward = true;
      }
      return e;
    case sub_kind::unsubscribe:  // A.3.2: the contact cancels its subscription or request
      if (i.pending_in || has_from(i.sub)) {
        if (has_from(i.sub)) e.presence = send::unavailable;
        e.changed = assign(i, drop_from(i.sub), i.ask_out, false, i.approved);
        e.forward = true;
      }
      return e;
    case sub_kind::unsubscribed:  // A.3.4: the contact denies or cancels ours
      if (i.ask_out || has_to(i.sub)) {
        e.changed = assign(i, drop_to(i.sub), false, i.pending_in, i.approved);
        e.forward = true;
      }
      return e;
  }
  return e;
}

bool listed(const storage::roster_item& i) {
  const bool request_only = i.sub == subscription::none && !i.ask_out && !i.approved && i.pending_in;
  return !request_only || !i.name.empty() || !i.groups.empty();
}

bool vacant(const storage::roster_item& i) {
  return i.sub == subscription::none && !i.ask_out && !i.pending_in && !i.approved &&
         i.name.empty() && i.groups.empty();
}

}  // namespace ofs::im
