#include "server/im/roster.hpp"

#include <algorithm>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <string>
#include <variant>

#include "server/im/feature_support.hpp"
#include "server/im/presence.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/service.hpp"
#include "server/im/subscription_state.hpp"

namespace ofs::im {
namespace asio = boost::asio;
using core::condition;
using storage::subscription;

namespace {

constexpr std::size_t max_text_bytes = 1023;  // a name or a group: policy (RFC 6121 2.3.3)

std::string_view sub_name(subscription s) {
  switch (s) {
    case subscription::none: return "none";
    case subscription::to: return "to";
    case subscription::from: return "from";
    case subscription::both: return "both";
    case subscription::remove: return "remove";
  }
  return "none";
}

core::stanza make_iq(std::string_view type, std::string_view id, const core::jid& from, const core::jid& to) {
  core::element e("iq", std::string(core::ns::client));
  e.set_attr("type", std::string(type));
  e.set_attr("id", std::string(id));
  auto s = core::stanza::from_element(std::move(e)).value();  // no addresses to parse
  s.set_from(from);
  s.set_to(to);
  return s;
}

core::element make_query(std::uint64_t version) {
  core::element q("query", std::string(roster_ns));
  q.set_attr("ver", std::to_string(version));
  return q;
}

struct set_request {
  storage::roster_item item;
  bool remove = false;
};

// What a roster set asks for, or why it cannot be done (RFC 6121 2.3.3, 2.5.3).
std::variant<set_request, core::stanza_error> parse_set(const core::element& query) {
  using core::stanza_error;
  const core::element* item = nullptr;
  for (const auto& c : query.children()) {
    if (c.is_text() || c.name() != "item") continue;
    if (item) return stanza_error(condition::bad_request, std::nullopt, "one item per roster set");
    item = &c;
  }
  if (!item) return stanza_error(condition::bad_request, std::nullopt, "one item per roster set");
  if (!item->has_attr("jid")) return stanza_error(condition::bad_request, std::nullopt, "no jid");
  auto contact = core::jid::parse(item->attr("jid"));
  if (!contact) return stanza_error(condition::jid_malformed);
  set_request r;
  r.item.contact = contact->bare();
  auto sub = item->attr("subscription");
  r.remove = sub == "remove";  // RFC 6121 2.1.2.5: any other value is ignored, not refused
  r.item.name = std::string(item->attr("name"));
  if (r.item.name.size() > max_text_bytes) return stanza_error(condition::not_acceptable);
  for (const auto& g : item->children()) {
    if (g.is_text() || g.name() != "group") continue;
    std::string name = g.text();
    if (name.empty() || name.size() > max_text_bytes) return stanza_error(condition::not_acceptable);
    if (std::find(r.item.groups.begin(), r.item.groups.end(), name) != r.item.groups.end())
      return stanza_error(condition::bad_request, std::nullopt, "duplicate group");
    r.item.groups.push_back(std::move(name));
  }
  return r;
}

void reply(service& svc, const core::stanza& request, core::element payload = {}) {
  auto out = make_iq("result", request.id(), request.to(), request.from());
  if (!payload.name().empty()) out.mutable_xml().add_child(std::move(payload));
  svc.router().route(std::move(out));
}

asio::awaitable<void> roster_get(service& svc, core::stanza request) {
  const core::jid owner = request.to();
  svc.router().sessions().set_interested(request.from());
  storage::roster* roster = co_await svc.rosters().get(owner);
  if (!roster) co_return bounce_store_error(svc.router(), request);
  const core::element* asked = request.xml().child("query", roster_ns);
  // XEP-0237: a client whose cached version is current gets an empty result, then pushes.
  if (asked->has_attr("ver") && asked->attr("ver") == std::to_string(roster->version))
    co_return reply(svc, request);
  core::element query = make_query(roster->version);
  if (!asked->has_attr("ver")) query.remove_attr("ver");
  for (const auto& item : roster->items)
    if (listed(item)) query.add_child(encode_item(item));
  reply(svc, request, std::move(query));
}

asio::awaitable<void> roster_set(service& svc, core::stanza request, set_request wanted) {
  const core::jid owner = request.to();
  storage::roster* roster = co_await svc.rosters().get(owner);
  if (!roster) co_return bounce_store_error(svc.router(), request);
  storage::roster_item* existing = roster_cache::find(*roster, wanted.item.contact);
  if (wanted.remove && !existing) co_return svc.router().bounce(request, {condition::item_not_found});
  storage::roster_item item = existing ? *existing : wanted.item;
  const bool listed_before = existing && listed(*existing);
  if (wanted.remove) {
    item.sub = subscription::remove;
  } else {
    item.name = std::move(wanted.item.name);
    item.groups = std::move(wanted.item.groups);
  }
  storage::roster_item was = existing ? *existing : item;  // `existing` dies with put()
  auto op = svc.rosters().put(owner, item);                // named: GCC 12
  auto version = co_await std::move(op);
  if (!version) co_return bounce_store_error(svc.router(), request);
  if (wanted.remove) end_subscriptions(svc, owner, was);
  push_change(svc, owner, listed_before, item, *version);
  reply(svc, request);
}

}  // namespace

void end_subscriptions(service& svc, const core::jid& owner, const storage::roster_item& was) {
  if (has_to(was.sub) || was.ask_out) svc.router().route(make_presence("unsubscribe", owner, was.contact));
  if (has_from(was.sub) || was.pending_in) {
    if (has_from(was.sub)) send_unavailable(svc, owner, was.contact);
    svc.router().route(make_presence("unsubscribed", owner, was.contact));
  }
}

core::element encode_item(const storage::roster_item& item) {
  core::element e("item", std::string(roster_ns));
  e.set_attr("jid", item.contact.str());
  if (!item.name.empty()) e.set_attr("name", item.name);
  e.set_attr("subscription", std::string(sub_name(item.sub)));
  if (item.ask_out && !has_to(item.sub)) e.set_attr("ask", "subscribe");
  if (item.approved && !has_from(item.sub)) e.set_attr("approved", "true");
  for (const auto& g : item.groups) e.add_child(core::element("group", std::string(roster_ns))).add_text(g);
  return e;
}

void push_roster_item(service& svc, const core::jid& user, const storage::roster_item& item,
                      std::uint64_t version) {
  static std::atomic<std::uint64_t> next_id{0};
  core::element query = make_query(version);
  query.add_child(encode_item(item));
  const core::jid bare = user.bare();
  for (auto& r : svc.router().sessions().resources(bare)) {
    if (!r.interested) continue;
    auto id = "push" + std::to_string(next_id.fetch_add(1, std::memory_order_relaxed));
    auto push = make_iq("set", id, bare, r.ep->address());
    push.mutable_xml().add_child(query);
    r.ep->deliver(std::move(push));
  }
}

void push_change(service& svc, const core::jid& user, bool listed_before, const storage::roster_item& now,
                 std::uint64_t version) {
  if (now.sub != subscription::remove && listed(now)) return push_roster_item(svc, user, now, version);
  if (!listed_before) return;
  storage::roster_item gone = new_item(now.contact);
  gone.sub = subscription::remove;
  push_roster_item(svc, user, gone, version);
}

void install_roster(service& svc) {
  svc.router().add_iq_handler(core::route_target::bare, std::string(roster_ns), [&svc](core::stanza& s) {
    const bool get = s.type() == "get";
    if (!get && s.type() != "set") return core::hook_result::pass;  // results of our pushes
    const core::element* query = s.xml().child("query", roster_ns);
    // RFC 6121 2.1.5: a roster is its owner's business only.
    if (!query || s.from().bare() != s.to().bare()) {
      svc.router().bounce(s, {query ? condition::forbidden : condition::bad_request});
      return core::hook_result::handled;
    }
    const core::jid owner = s.to().bare();
    if (get) {
      auto work = [&svc, s] { return roster_get(svc, s); };
      svc.post(owner, s, std::move(work));
      return core::hook_result::handled;
    }
    auto parsed = parse_set(*query);
    if (auto* e = std::get_if<core::stanza_error>(&parsed)) {
      svc.router().bounce(s, std::move(*e));
      return core::hook_result::handled;
    }
    auto work = [&svc, s, wanted = std::get<set_request>(std::move(parsed))] {
      return roster_set(svc, s, wanted);
    };
    svc.post(owner, s, std::move(work));
    return core::hook_result::handled;
  });
}

}  // namespace ofs::im
