#include "server/core/router.hpp"

#include <algorithm>
#include <climits>

namespace ofs::core {
namespace {

std::size_t index_of(stanza_kind kind, route_target target) {
  return static_cast<std::size_t>(kind) * 3 + static_cast<std::size_t>(target);
}

bool is_error(const stanza& s) { return s.type() == "error"; }

bool is_request(const stanza& s) {
  return s.kind() == stanza_kind::iq && (s.type() == "get" || s.type() == "set");
}

// The namespace of an iq's payload, the key of its handler.
std::string_view payload_xmlns(const stanza& s) {
  for (const auto& c : s.xml().children())
    if (!c.is_text()) return c.xmlns();
  return {};
}

}  // namespace

router::router(std::vector<std::string> local_domains) : domains_(std::move(local_domains)) {}

router::hook_list& router::hooks(stanza_kind kind, route_target target) {
  return hooks_[index_of(kind, target)];
}

void router::add_hook(stanza_kind kind, route_target target, int priority, hook h) {
  auto& list = hooks(kind, target);
  list.push_back({priority, std::move(h)});
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& a, const auto& b) { return a.priority > b.priority; });
}

void router::add_iq_handler(route_target target, std::string xmlns, iq_handler h) {
  iq_handlers_[static_cast<std::size_t>(target)][std::move(xmlns)] = std::move(h);
}

void router::add_component(std::string domain, std::shared_ptr<endpoint> e) {
  std::unique_lock lock(components_mutex_);
  components_[std::move(domain)] = e;
}

void router::remove_component(const std::string& domain) {
  std::unique_lock lock(components_mutex_);
  components_.erase(domain);
}

bool router::is_local_domain(std::string_view domain) const {
  return std::find(domains_.begin(), domains_.end(), domain) != domains_.end();
}

void router::bind(const std::shared_ptr<endpoint>& e) {
  if (auto old = sessions_.bind(e); old && old != e)
    old->terminate("conflict", "Replaced by a new connection");
}

bool router::run_hooks(stanza_kind kind, route_target target, stanza& s) {
  for (auto& h : hooks(kind, target))
    if (h.fn(s) == hook_result::handled) return true;
  return false;
}

bool router::run_iq_handlers(route_target target, stanza& s) {
  auto& handlers = iq_handlers_[static_cast<std::size_t>(target)];
  auto it = handlers.find(payload_xmlns(s));
  return it != handlers.end() && it->second(s) == hook_result::handled;
}

void router::route(stanza s) {
  routed_.add();
  if (s.to().empty()) s.set_to(s.from().bare());
  const jid& to = s.to();
  if (!is_local_domain(to.domain())) return route_elsewhere(s);
  if (!to.resource().empty() && !to.node().empty()) return route_full(s);
  if (!to.node().empty()) return route_bare(s);
  route_host(s);
}

void router::route_full(stanza& s) {
  if (run_hooks(s.kind(), route_target::full, s)) return;
  if (auto ep = sessions_.find(s.to())) return ep->deliver(std::move(s));
  // RFC 6121 8.5.3.2: the resource is gone.
  switch (s.kind()) {
    case stanza_kind::message:
      if (s.type() == "groupchat") return bounce(s, {condition::service_unavailable});
      if (s.type() == "headline" || is_error(s)) return;
      return route_bare(s);
    case stanza_kind::presence:
      if (!s.type().empty() && s.type() != "unavailable" && s.type() != "probe")
        return route_bare(s);  // subscription states are about the account
      return;
    case stanza_kind::iq:
      if (is_request(s)) bounce(s, {condition::service_unavailable});
      return;
    case stanza_kind::other: return;
  }
}

void router::route_bare(stanza& s) {
  if (run_hooks(s.kind(), route_target::bare, s)) return;
  switch (s.kind()) {
    case stanza_kind::message:
      if (is_error(s)) return;
      if (s.type() == "groupchat" || !deliver_to_bare(s)) bounce(s, {condition::service_unavailable});
      return;
    case stanza_kind::presence: deliver_to_bare(s); return;
    case stanza_kind::iq:
      if (run_iq_handlers(route_target::bare, s)) return;
      if (is_request(s)) bounce(s, {condition::service_unavailable});
      return;
    case stanza_kind::other: return;
  }
}

void router::route_host(stanza& s) {
  if (run_hooks(s.kind(), route_target::host, s)) return;
  if (s.kind() != stanza_kind::iq) return;
  if (run_iq_handlers(route_target::host, s)) return;
  if (is_request(s)) bounce(s, {condition::service_unavailable});
}

void router::undeliverable(stanza s, const endpoint& gone) {
  // Routing by the bare JID must not pick the same session again.
  if (sessions_.find(gone.address()).get() == &gone) sessions_.set_presence(gone.address(), std::nullopt, 0);
  switch (s.kind()) {
    case stanza_kind::message:
      if (s.type().empty() || s.type() == "chat" || s.type() == "normal") route_bare(s);
      return;
    case stanza_kind::iq:
      if (is_request(s)) bounce(s, {condition::service_unavailable});
      return;
    case stanza_kind::presence:
    case stanza_kind::other: return;
  }
}

void router::route_elsewhere(stanza& s) {
  std::shared_ptr<endpoint> component;
  {
    std::shared_lock lock(components_mutex_);
    if (auto it = components_.find(s.to().domain()); it != components_.end()) component = it->second.lock();
  }
  if (component) return component->deliver(std::move(s));
  if (remote_ && remote_(s)) return;
  bounce(s, {condition::remote_server_not_found});
}

bool router::deliver_to_bare(const stanza& s) {
  auto all = sessions_.resources(s.to().bare());
  if (s.kind() == stanza_kind::presence) {
    bool any = false;
    for (auto& r : all)
      if (r.available) r.ep->deliver(s), any = true;
    return any;
  }
  // Messages: chat and normal to the highest non-negative priority, headline to every
  // non-negative one (RFC 6121 8.5.2.1).
  int best = INT_MIN;
  for (const auto& r : all)
    if (r.available && r.priority >= 0) best = std::max(best, r.priority);
  if (best == INT_MIN) return false;
  const bool headline = s.type() == "headline";
  for (auto& r : all)
    if (r.available && r.priority >= 0 && (headline || r.priority == best)) r.ep->deliver(s);
  return true;
}

void router::bounce(const stanza& s, stanza_error e) {
  if (is_error(s) || s.from().empty()) return;
  if (s.kind() == stanza_kind::iq && !is_request(s)) return;  // never answer a result
  stanza reply = make_error_reply(s, e);
  if (reply.from().empty() && !domains_.empty()) reply.set_from(jid::parse(domains_.front()).value());
  route(std::move(reply));
}

}  // namespace ofs::core
