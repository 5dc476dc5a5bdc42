#include "server/im/carbons.hpp"

#include <climits>
#include <mutex>
#include <unordered_map>

#include "server/im/feature_support.hpp"
#include "server/im/mam_query.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view hints_ns = "urn:xmpp:hints";

// XEP-0280 6: chat, or normal with a body; never error, groupchat, headline, a copy or private.
bool eligible(const core::stanza& s) {
  if (s.kind() != core::stanza_kind::message) return false;
  const auto type = s.type();
  const auto& x = s.xml();
  if (type != "chat" && !((type.empty() || type == "normal") && x.child("body"))) return false;
  if (x.child("private", carbons_ns) || x.child("no-copy", hints_ns)) return false;
  return !x.child("received", carbons_ns) && !x.child("sent", carbons_ns);
}

// <message from=bare to=resource type=...><sent|received><forwarded>original</...></message>
core::stanza wrap(std::string_view kind, const core::stanza& original, const core::jid& to) {
  core::element m("message", std::string(core::ns::client));
  m.set_attr("from", to.bare_str());
  m.set_attr("to", to.str());
  if (!original.type().empty()) m.set_attr("type", std::string(original.type()));
  auto& w = m.add_child(core::element(std::string(kind), std::string(carbons_ns)));
  w.add_child(core::element("forwarded", std::string(forward_ns))).add_child(original.xml());
  return make_stanza(std::move(m));
}

class carbons {
public:
  explicit carbons(service& svc) : svc_(svc) {}

  core::hook_result command(core::stanza& s) {
    const auto* p = payload(s);
    if (s.type() != "set" || !from_owner(s) || (p->name() != "enable" && p->name() != "disable")) {
      svc_.router().bounce(
          s, core::stanza_error(core::condition::bad_request, core::error_type::modify,
                                "Expected <enable/> or <disable/> in an iq set to your own account"));
      return core::hook_result::handled;
    }
    auto ep = svc_.router().sessions().find(s.from());
    if (ep) set(*ep, p->name() == "enable");
    svc_.router().route(make_result(s));
    return core::hook_result::handled;
  }

  void forget(core::endpoint& session) { set(session, false); }

  // The sender's other resources get a <sent/> copy.
  core::hook_result outbound(core::endpoint& from, core::stanza& s) {
    if (s.kind() != core::stanza_kind::message) return core::hook_result::pass;
    // <private/> stays on the message: the receiving server (maybe this one) honours it too.
    if (!eligible(s)) return core::hook_result::pass;
    for (const auto& r : svc_.router().sessions().resources(from.address().bare()))
      if (r.ep.get() != &from && r.ep->address() != s.to() && enabled(*r.ep))
        r.ep->deliver(wrap("sent", s, r.ep->address()));
    return core::hook_result::pass;
  }

  // A message to one resource: the account's other resources get a <received/> copy.
  core::hook_result inbound_full(core::stanza& s) {
    if (!eligible(s) || s.from().bare() == s.to().bare()) return core::hook_result::pass;
    auto target = svc_.router().sessions().find(s.to());
    if (!target) return core::hook_result::pass;  // the bare-JID rules take it, and this hook's twin
    for (const auto& r : svc_.router().sessions().resources(s.to().bare()))
      if (r.ep != target && enabled(*r.ep)) r.ep->deliver(wrap("received", s, r.ep->address()));
    return core::hook_result::pass;
  }

  // A message to the account: those not among the recipients the router picks get a copy.
  core::hook_result inbound_bare(core::stanza& s) {
    if (!eligible(s) || s.from().bare() == s.to().bare()) return core::hook_result::pass;
    const auto all = svc_.router().sessions().resources(s.to().bare());
    int best = INT_MIN;
    for (const auto& r : all)
      if (r.available && r.priority >= 0) best = std::max(best, r.priority);
    if (best == INT_MIN) return core::hook_result::pass;  // offline storage takes it
    for (const auto& r : all)
      if (!(r.available && r.priority == best) && enabled(*r.ep))
        r.ep->deliver(wrap("received", s, r.ep->address()));
    return core::hook_result::pass;
  }

private:
  void set(core::endpoint& ep, bool on) {
    std::lock_guard lock(mutex_);
    if (on)
      enabled_[ep.address().str()] = &ep;
    else if (auto it = enabled_.find(ep.address().str()); it != enabled_.end() && it->second == &ep)
      enabled_.erase(it);
  }
  bool enabled(const core::endpoint& ep) {
    std::lock_guard lock(mutex_);
    auto it = enabled_.find(ep.address().str());
    return it != enabled_.end() && it->second == &ep;
  }

  service& svc_;
  std::mutex mutex_;
  std::unordered_map<std::string, const core::endpoint*> enabled_;  // full JID -> the session that asked
};

}  // namespace

void install_carbons(service& svc) {
  auto c = std::make_shared<carbons>(svc);
  auto& r = svc.router();
  r.add_iq_handler(core::route_target::bare, std::string(carbons_ns),
                   [c](core::stanza& s) { return c->command(s); });
  r.add_hook(core::stanza_kind::message, core::route_target::full, carbons_priority,
             [c](core::stanza& s) { return c->inbound_full(s); });
  r.add_hook(core::stanza_kind::message, core::route_target::bare, carbons_priority,
             [c](core::stanza& s) { return c->inbound_bare(s); });
  svc.add_outbound_hook(core::stanza_kind::message, carbons_priority,
                        [c](core::endpoint& from, core::stanza& s) { return c->outbound(from, s); });
  svc.on_unbind([c](core::endpoint& session) { c->forget(session); });
  svc.add_feature(std::string(carbons_ns));
}

}  // namespace ofs::im
