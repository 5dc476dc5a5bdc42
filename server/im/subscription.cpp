#include "server/im/subscription.hpp"

#include <boost/asio/awaitable.hpp>

#include "server/im/feature_support.hpp"
#include "server/im/presence.hpp"
#include "server/im/roster.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/im/subscription_state.hpp"

namespace ofs::im {
namespace asio = boost::asio;
using core::hook_result;
using send = sub_effect::presence_to_contact;

namespace {

// Stores the item after a transition: removed when nothing is left of a contact the owner
// never saw in the roster, kept otherwise. Pushes the change; gives the new version.
asio::awaitable<result<std::uint64_t>> commit(service& svc, core::jid owner, storage::roster_item item,
                                              bool existed, bool listed_before) {
  const bool drop = existed && !listed_before && vacant(item);
  if (drop) item.sub = storage::subscription::remove;
  auto op = svc.rosters().put(owner, item);  // named: GCC 12
  auto version = co_await std::move(op);
  if (version) push_change(svc, owner, listed_before, item, *version);
  co_return version;
}

void send_presence(service& svc, send what, const core::jid& owner, const core::jid& contact) {
  if (what == send::available) send_current_presence(svc, owner, contact);
  if (what == send::unavailable) send_unavailable(svc, owner, contact);
}

// A.2: the owner's client sent k to contact. 'from' is stamped with the bare JID (3.1.2).
asio::awaitable<void> outbound(service& svc, sub_kind k, core::stanza s) {
  const core::jid owner = s.from().bare(), contact = s.to().bare();
  storage::roster* roster = co_await svc.rosters().get(owner);
  if (!roster) co_return bounce_store_error(svc.router(), s);
  storage::roster_item* existing = roster_cache::find(*roster, contact);
  const bool existed = existing, listed_before = existing && listed(*existing);
  storage::roster_item item = existing ? *existing : new_item(contact);
  const sub_effect effect = outbound_transition(k, item);
  if (effect.changed) {
    auto op = commit(svc, owner, item, existed, listed_before);  // named: GCC 12
    auto stored = co_await std::move(op);
    if (!stored) co_return bounce_store_error(svc.router(), s);  // nothing changed, nothing sent
  }
  // Unavailable goes before 'unsubscribed', the rest after the stanza (3.1.5, 3.2.2).
  if (effect.presence == send::unavailable) send_presence(svc, effect.presence, owner, contact);
  if (effect.forward) {
    s.set_from(owner);
    s.set_to(contact);
    svc.router().route(s);
  }
  if (effect.presence == send::available) send_presence(svc, effect.presence, owner, contact);
}

// A.3: contact sent k to the owner (a local account, maybe offline or without an account).
asio::awaitable<void> inbound(service& svc, sub_kind k, core::stanza s) {
  const core::jid owner = s.to().bare(), contact = s.from().bare();
  storage::roster* roster = co_await svc.rosters().get(owner);
  // The store failed: nothing changed, and the sender hears so (it may try again later).
  if (!roster) co_return bounce_store_error(svc.router(), s);
  storage::roster_item* existing = roster_cache::find(*roster, contact);
  const bool existed = existing, listed_before = existing && listed(*existing);
  storage::roster_item item = existing ? *existing : new_item(contact);
  const sub_effect effect = inbound_transition(k, item);
  if (effect.changed) {
    auto op = commit(svc, owner, item, existed, listed_before);  // named: GCC 12
    auto stored = co_await std::move(op);
    if (!stored && stored.error() == storage::storage_error::no_account) {
      if (k == sub_kind::subscribe)
        svc.router().route(make_presence("unsubscribed", owner, contact));  // 8.5.1
    } else if (!stored) {
      bounce_store_error(svc.router(), s);
    }
    if (!stored) co_return svc.rosters().release(owner);
  }
  if (effect.forward) {
    if (s.from() != contact) s.set_from(contact);
    svc.router().deliver_to_bare(s);  // every available resource; others hear at login
  }
  if (effect.reply_subscribed) svc.router().route(make_presence("subscribed", owner, contact));
  send_presence(svc, effect.presence, owner, contact);
  svc.rosters().release(owner);
}

}  // namespace

asio::awaitable<void> owner_subscription(service& svc, sub_kind k, core::stanza s) {
  return outbound(svc, k, std::move(s));
}

void install_subscription(service& svc) {
  svc.add_outbound_hook(core::stanza_kind::presence, 0, [&svc](core::endpoint&, core::stanza& s) {
    auto k = sub_kind_of(s.type());
    if (!k) return hook_result::pass;
    if (s.to().empty()) {
      svc.router().bounce(s, {core::condition::bad_request, std::nullopt, "subscriptions need a 'to'"});
      return hook_result::handled;
    }
    // One's own account is implicitly subscribed both ways; there is nothing to change.
    if (s.to().bare() == s.from().bare()) return hook_result::handled;
    auto work = [&svc, k = *k, s] { return outbound(svc, k, s); };
    svc.post(s.from().bare(), s, std::move(work));
    return hook_result::handled;
  });
  auto in = [&svc](core::stanza& s) {
    auto k = sub_kind_of(s.type());
    if (!k) return hook_result::pass;
    if (s.from().empty() || s.from().bare() == s.to().bare()) return hook_result::handled;
    s.set_to(s.to().bare());  // about the account, whatever resource it names (3.1.3)
    auto work = [&svc, k = *k, s] { return inbound(svc, k, s); };
    svc.post(s.to(), s, std::move(work));
    return hook_result::handled;
  };
  svc.router().add_hook(core::stanza_kind::presence, core::route_target::bare, 0, in);
  svc.router().add_hook(core::stanza_kind::presence, core::route_target::full, 0, in);
}

}  // namespace ofs::im
