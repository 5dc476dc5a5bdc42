#include "server/im/presence.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/awaitable.hpp>
#include <charconv>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/im/feature_support.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace asio = boost::asio;
using core::hook_result;

namespace {

struct session_state {
  const core::endpoint* owner = nullptr;  // tells a session from a successor on the same JID
  bool available = false;                 // broadcast available, not yet unavailable
  std::vector<core::jid> directed;        // got directed available presence (RFC 6121 4.6)
};

// Owned by the installed hooks. Each shard's maps are touched by that shard's tasks only.
struct presence_feature {
  explicit presence_feature(service& s) : svc(s), sessions(s.shards().size()), last(s.shards().size()) {}
  service& svc;
  std::vector<std::unordered_map<std::string, session_state>> sessions;  // by full JID
  // The last unavailable presence of users gone offline since start-up, for probes (4.3.2).
  std::vector<std::unordered_map<std::string, core::stanza>> last;  // by bare JID

  auto& sessions_of(const core::jid& user) { return sessions[svc.shards().index_of(user)]; }
  auto& last_of(const core::jid& user) { return last[svc.shards().index_of(user)]; }
  session_state& state_of(const core::jid& full, const core::endpoint* owner) {
    auto& state = sessions_of(full)[full.str()];
    if (state.owner != owner) {  // a replaced session's leftovers
      state = {};
      state.owner = owner;
    }
    return state;
  }
};
using feature_ptr = std::shared_ptr<presence_feature>;

// s, from one of the user's resources, to every contact subscribed to the user.
void to_subscribers(service& svc, const storage::roster* roster, const core::stanza& s) {
  if (!roster) return;
  for (const auto& item : roster->items) {
    if (!has_from(item.sub)) continue;
    core::stanza copy = s;  // shares the tree until set_to
    copy.set_to(item.contact);
    svc.router().route(std::move(copy));
  }
}

// s to the user's own available resources but `except`: one copy for all of them.
void to_own_resources(service& svc, const core::stanza& s, const core::endpoint* except) {
  core::stanza copy = s;
  copy.set_to(s.from().bare());
  for (auto& r : svc.router().sessions().resources(copy.to()))
    if (r.available && r.ep.get() != except) r.ep->deliver(copy);
}

bool others_available(service& svc, const core::jid& user, const core::endpoint* except) {
  for (const auto& r : svc.router().sessions().resources(user))
    if (r.available && r.ep.get() != except) return true;
  return false;
}

// The session `owner` becomes unavailable with s (its 'from' is the session's JID): s goes to
// whoever saw it available (4.5.2), and its directed presence is forgotten.
void go_unavailable(presence_feature& f, const core::endpoint* owner, storage::roster* roster,
                    const core::stanza& s) {
  const core::jid user = s.from().bare();
  auto& map = f.sessions_of(user);
  auto it = map.find(s.from().str());
  if (it == map.end() || it->second.owner != owner) return;
  session_state& state = it->second;
  if (state.available) {
    to_subscribers(f.svc, roster, s);
    to_own_resources(f.svc, s, owner);
    if (!others_available(f.svc, user, owner)) {
      core::stanza kept = s;
      kept.take_handling();  // kept for probes: not part of the sender's handling
      f.last_of(user).insert_or_assign(user.str(), std::move(kept));
    }
  }
  for (const auto& target : state.directed) {
    auto* item = roster ? roster_cache::find(*roster, target) : nullptr;
    if (state.available && item && has_from(item->sub)) continue;  // the broadcast reached it
    core::stanza copy = s;
    copy.set_to(target);
    f.svc.router().route(std::move(copy));
  }
  state.available = false;
  state.directed.clear();
}

// Tells whether ep is still the session bound under its JID (not replaced, not gone).
bool still_bound(service& svc, const std::shared_ptr<core::endpoint>& ep) {
  return svc.router().sessions().find(ep->address()) == ep;
}

asio::awaitable<void> on_available(feature_ptr f, std::shared_ptr<core::endpoint> ep, core::stanza s) {
  service& svc = f->svc;
  if (!still_bound(svc, ep)) co_return;
  const core::jid full = s.from(), user = full.bare();
  storage::roster* roster = co_await svc.rosters().get(user);
  // Without the roster nobody can be told: the client hears it failed and may send it again.
  if (!roster) co_return bounce_store_error(svc.router(), s);
  session_state& state = f->state_of(full, ep.get());
  const bool initial = !state.available;
  state.available = true;
  svc.router().sessions().set_presence(full, s, priority_of(s));
  to_subscribers(svc, roster, s);
  to_own_resources(svc, s, nullptr);  // the sender too (4.2.2)
  if (!initial) co_return;
  f->last_of(user).erase(user.str());
  for (auto& r : svc.router().sessions().resources(user)) {
    if (!r.available || r.ep == ep || !r.presence) continue;
    core::stanza other = *r.presence;
    other.set_to(full);
    ep->deliver(std::move(other));
  }
  for (const auto& item : roster->items)
    if (has_to(item.sub)) svc.router().route(make_presence("probe", full, item.contact));
  // Unanswered subscription requests, again at each login until answered (3.1.3).
  for (const auto& item : roster->items)
    if (item.pending_in) ep->deliver(make_presence("subscribe", item.contact, user));
  svc.initial_presence_sent(*ep);
}

asio::awaitable<void> on_unavailable(feature_ptr f, std::shared_ptr<core::endpoint> ep, core::stanza s) {
  service& svc = f->svc;
  if (!still_bound(svc, ep)) co_return;
  svc.router().sessions().set_presence(s.from(), std::nullopt, 0);
  storage::roster* roster = co_await svc.rosters().get(s.from().bare());
  go_unavailable(*f, ep.get(), roster, s);
}

// Directed presence (4.6): routed as is; available presence makes the target owed an
// unavailable one when the session ends (so a session already gone sends none).
asio::awaitable<void> on_directed(feature_ptr f, std::shared_ptr<core::endpoint> ep, core::stanza s) {
  if (!still_bound(f->svc, ep)) co_return;
  auto& directed = f->state_of(s.from(), ep.get()).directed;
  auto pos = std::find(directed.begin(), directed.end(), s.to());
  if (s.type().empty() && pos == directed.end()) directed.push_back(s.to());
  if (!s.type().empty() && pos != directed.end()) directed.erase(pos);
  f->svc.router().route(std::move(s));
}

// The session is gone, maybe without a word: whoever saw it available hears it is not.
asio::awaitable<void> on_unbind(feature_ptr f, const core::endpoint* owner, core::jid full) {
  service& svc = f->svc;
  const core::jid user = full.bare();
  auto& map = f->sessions_of(user);
  if (auto it = map.find(full.str()); it != map.end() && it->second.owner == owner) {
    storage::roster* roster = co_await svc.rosters().get(user);
    go_unavailable(*f, owner, roster, make_presence("unavailable", full, {}));
    f->sessions_of(user).erase(full.str());
  }
  svc.rosters().release(user, owner);
}

// 4.3.2: a probe is answered only for subscribers, from the registry's last presences.
asio::awaitable<void> answer_probe(feature_ptr f, core::stanza probe) {
  service& svc = f->svc;
  const core::jid contact = probe.to().bare(), asker = probe.from();
  if (asker.bare() != contact) {  // one's own resources need no subscription
    storage::roster* roster = co_await svc.rosters().get(contact);
    // The store failed: an error rather than a wrong answer that would end a subscription.
    if (!roster) co_return bounce_store_error(svc.router(), probe);
    auto* item = roster_cache::find(*roster, asker);
    const bool subscribed = item && has_from(item->sub);
    svc.rosters().release(contact);
    if (!subscribed) co_return svc.router().route(make_presence("unsubscribed", contact, asker.bare()));
  }
  bool answered = false;
  for (auto& r : svc.router().sessions().resources(contact)) {
    if (!r.available || !r.presence) continue;
    if (!probe.to().is_bare() && r.ep->address() != probe.to()) continue;
    core::stanza p = *r.presence;
    p.set_to(asker);
    svc.router().route(std::move(p));
    answered = true;
  }
  if (answered) co_return;
  auto& last = f->last_of(contact);
  auto it = last.find(contact.str());
  core::stanza p =
      probe.to().is_bare() && it != last.end() ? it->second : make_presence("unavailable", probe.to(), {});
  p.set_to(asker);
  if (!p.xml().child("status")) {  // no status of its own: the note the user set for offline times
    auto op = svc.store().get_private(contact, std::string(offline_note_key));  // named: GCC 12
    auto note = co_await std::move(op);
    if (note && *note && !(*note)->empty())
      p.mutable_xml().add_child(core::element("status", std::string(core::ns::client))).add_text(**note);
  }
  svc.router().route(std::move(p));
}

}  // namespace

core::stanza make_presence(std::string_view type, const core::jid& from, const core::jid& to) {
  core::element e("presence", std::string(core::ns::client));
  if (!type.empty()) e.set_attr("type", std::string(type));
  auto s = core::stanza::from_element(std::move(e)).value();  // no addresses to parse
  s.set_from(from);
  if (!to.empty()) s.set_to(to);
  return s;
}

void send_current_presence(service& svc, const core::jid& user, const core::jid& contact) {
  for (auto& r : svc.router().sessions().resources(user.bare())) {
    if (!r.available || !r.presence) continue;
    core::stanza p = *r.presence;
    p.set_to(contact);
    svc.router().route(std::move(p));
  }
}

void send_unavailable(service& svc, const core::jid& user, const core::jid& contact) {
  for (auto& r : svc.router().sessions().resources(user.bare()))
    if (r.available) svc.router().route(make_presence("unavailable", r.ep->address(), contact));
}

int priority_of(const core::stanza& s) {
  const core::element* p = s.xml().child("priority");
  if (!p) return 0;
  const std::string text = p->text();
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < -128 || value > 127) return 0;
  return value;
}

void install_presence(service& svc) {
  auto f = std::make_shared<presence_feature>(svc);
  svc.add_outbound_hook(core::stanza_kind::presence, 0, [f](core::endpoint& from, core::stanza& s) {
    const auto type = s.type();
    if (!type.empty() && type != "unavailable") return hook_result::pass;  // subscriptions, probes
    auto ep = f->svc.router().sessions().find(s.from());
    if (ep.get() != &from) return hook_result::handled;  // not bound (any more): nobody to speak for
    task work;
    if (!s.to().empty())
      work = [f, ep, s] { return on_directed(f, ep, s); };
    else if (type.empty())
      work = [f, ep, s] { return on_available(f, ep, s); };
    else
      work = [f, ep, s] { return on_unavailable(f, ep, s); };
    f->svc.post(s.from().bare(), s, std::move(work));
    return hook_result::handled;
  });
  svc.on_unbind([f](core::endpoint& session) {
    const core::endpoint* owner = &session;
    auto work = [f, owner, full = session.address()] { return on_unbind(f, owner, full); };
    f->svc.shards().post_accepted(session.address().bare(), std::move(work));
  });
  auto probe = [f](core::stanza& s) {
    if (s.type() != "probe") return hook_result::pass;
    if (!s.from().empty()) {
      auto work = [f, s] { return answer_probe(f, s); };
      f->svc.post(s.to().bare(), s, std::move(work));
    }
    return hook_result::handled;
  };
  svc.router().add_hook(core::stanza_kind::presence, core::route_target::bare, 0, probe);
  svc.router().add_hook(core::stanza_kind::presence, core::route_target::full, 0, probe);
}

}  // namespace ofs::im
