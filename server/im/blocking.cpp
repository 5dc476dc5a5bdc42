#include "server/im/blocking.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

#include "server/im/block_cache.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

using core::hook_result;

bool same_account(const core::jid& a, const core::jid& b) {
  return a.node() == b.node() && a.domain() == b.domain();
}

class blocking : public std::enable_shared_from_this<blocking> {
public:
  explicit blocking(service& svc) : svc_(svc), cache_(svc) {}

  // Router hook: every stanza to a local user.
  hook_result inbound(core::stanza& s) {
    const core::jid& to = s.to();
    const core::jid& from = s.from();
    if (from.empty() || to.node().empty() || same_account(from, to)) return hook_result::pass;
    // The retries wait in cache_, which this owns: a strong self would be a cycle that keeps
    // both alive (and leaks) when the server stops with retries still queued.
    auto retry = [this, &s] {
      return [weak = weak_from_this(), s](bool loaded) {
        auto self = weak.lock();
        if (!self) return;
        if (loaded) return self->svc_.router().route(s);
        self->svc_.router().bounce(s, unknown_list());
      };
    };
    auto mine = cache_.get_or_defer(to, retry);
    if (!mine) return hook_result::handled;  // held until the list is loaded, then routed again
    if (blocks(*mine, from)) {
      // XEP-0191 3.5: requests and messages get service-unavailable, presence nothing.
      const bool answered = is_request(s) || (s.kind() == core::stanza_kind::message && s.type() != "error");
      if (answered) svc_.router().bounce(s, core::stanza_error(core::condition::service_unavailable));
      return hook_result::handled;
    }
    // The sender's own list, for what the server sends on a local user's behalf (presence
    // broadcasts, probe answers); what their clients send was checked on the way out.
    // Errors and unavailable presence may always go: the blocked side must learn the end.
    const bool always =
        s.type() == "error" || (s.kind() == core::stanza_kind::presence && s.type() == "unavailable");
    if (always || from.node().empty() || !svc_.router().is_local_domain(from.domain()))
      return hook_result::pass;
    auto theirs = cache_.get_or_defer(from, retry);
    if (!theirs) return hook_result::handled;
    return blocks(*theirs, to) ? hook_result::handled : hook_result::pass;
  }

  // Outbound hook: what the user's clients send.
  hook_result outbound(core::endpoint& session, core::stanza& s) {
    if (s.to().empty() || same_account(s.to(), session.address())) return hook_result::pass;
    // A held stanza is sent again through the service (on the user's shard, not the
    // session's strand), if its session is still there.
    auto retry = [this, &session, &s] {
      // The sender's list is still loading. Whether the recipient blocks the sender is
      // decided now, as the stanza was sent: an unblock during the wait must not let it in.
      const core::jid& to = s.to();
      const auto theirs =
          to.node().empty() || same_account(session.address(), to) ? nullptr : cache_.find(to);
      const bool refused = theirs && blocks(*theirs, session.address());
      std::weak_ptr<core::endpoint> ep = svc_.router().sessions().find(session.address());
      return [weak = weak_from_this(), ep, s, refused](bool loaded) {
        auto self = weak.lock();
        auto cs = ep.lock();
        if (!self || !cs) return;
        if (loaded && refused) {  // as the recipient's inbound check would have done
          if (is_request(s))
            self->svc_.router().bounce(s, core::stanza_error(core::condition::service_unavailable));
          return;
        }
        if (loaded) return self->svc_.from_client(*cs, s);
        // Straight back: routing the error would meet the same unknown list.
        if (s.type() != "error" && !(s.kind() == core::stanza_kind::iq && !is_request(s)))
          cs->deliver(core::make_error_reply(s, unknown_list()));
      };
    };
    auto list = cache_.get_or_defer(session.address(), retry);
    if (!list) return hook_result::handled;
    if (!blocks(*list, s.to())) return hook_result::pass;
    if (s.type() != "error" && !(s.kind() == core::stanza_kind::iq && !is_request(s))) {
      core::stanza reply = core::make_error_reply(s, core::stanza_error(core::condition::not_acceptable));
      if (auto* err = reply.mutable_xml().child("error"))
        err->add_child(core::element("blocked", std::string(blocking_errors_ns)));
      session.deliver(std::move(reply));  // straight back: routing it would meet the block
    }
    return hook_result::handled;
  }

  // The iq handler on the user's bare JID.
  hook_result command(core::stanza& s) {
    if (!is_request(s)) return hook_result::handled;
    if (!from_owner(s)) return bounce(s, core::condition::forbidden);
    const auto& p = *payload(s);
    if (s.type() == "get" && p.name() == "blocklist") {
      auto task = [self = shared_from_this(), s] { return self->send_list(s); };
      svc_.post(s.to(), s, std::move(task));
      return hook_result::handled;
    }
    const bool block = p.name() == "block";
    if (s.type() != "set" || (!block && p.name() != "unblock"))
      return bounce(s, core::condition::bad_request);
    std::vector<core::jid> items;
    for (const auto& c : p.children()) {
      if (c.is_text() || c.name() != "item") continue;
      if (!c.has_attr("jid")) return bounce(s, core::condition::bad_request);
      auto j = core::jid::parse(c.attr("jid"));
      if (!j) return bounce(s, core::condition::jid_malformed);
      items.push_back(std::move(*j));
    }
    if (block && items.empty()) return bounce(s, core::condition::bad_request);
    auto task = [self = shared_from_this(), s, block, items = std::move(items)] {
      return self->change(s, block, items);
    };
    svc_.post(s.to(), s, std::move(task));
    return hook_result::handled;
  }

  boost::asio::awaitable<std::optional<std::vector<core::jid>>> items_of(core::jid user) {
    auto list = co_await cache_.load(user);
    if (!list) co_return std::nullopt;
    std::vector<core::jid> items;
    for (const auto& j : **list)
      if (auto parsed = core::jid::parse(j)) items.push_back(std::move(*parsed));
    co_return items;
  }

  boost::asio::awaitable<bool> replace(core::jid user, std::vector<core::jid> items) {
    auto current = co_await cache_.load(user);
    if (!current) co_return false;
    block_list next;
    for (const auto& j : items) next.insert(j.str());
    std::vector<core::jid> added, removed;
    for (const auto& j : next)
      if (!(*current)->contains(j)) added.push_back(core::jid::parse(j).value());
    for (const auto& j : **current)
      if (!next.contains(j))
        if (auto parsed = core::jid::parse(j)) removed.push_back(std::move(*parsed));
    if (added.empty() && removed.empty()) co_return true;
    auto stored = co_await svc_.store().put_private(user, "blocklist", serialize_block_list(next));
    if (!stored) co_return false;
    cache_.replace(user, std::make_shared<const block_list>(std::move(next)));
    if (!removed.empty()) push(user, command_element("unblock", removed));
    if (!added.empty()) push(user, command_element("block", added));
    send_unavailable(user, added);
    co_return true;
  }

  // A stanza that finds its sender's list not loaded waits for the load (the recipient's
  // verdict taken before it): loaded at bind, so that the wait is rare and a block (or an
  // unblock) applies to what was sent after it, not to what is checked later.
  void on_bind(core::endpoint& session) {
    cache_.get_or_defer(session.address(), [] { return [](bool) {}; });
  }

  void on_unbind(core::endpoint& session) {
    bool last = true;
    for (const auto& r : svc_.router().sessions().resources(session.address().bare()))
      if (r.ep.get() != &session) last = false;
    cache_.session_ended(session.address(), last);
  }

private:
  // While a block list cannot be loaded, what it would be checked against is refused.
  static core::stanza_error unknown_list() {
    return {core::condition::internal_server_error, core::error_type::wait,
            "The block list cannot be read now; try again later"};
  }

  hook_result bounce(const core::stanza& s, core::condition c) {
    svc_.router().bounce(s, core::stanza_error(c));
    return hook_result::handled;
  }

  static core::element command_element(std::string_view name, const std::vector<core::jid>& items) {
    core::element e{std::string(name), std::string(blocking_ns)};
    for (const auto& j : items)
      e.add_child(core::element("item", std::string(blocking_ns))).set_attr("jid", j.str());
    return e;
  }

  boost::asio::awaitable<void> send_list(core::stanza s) {
    auto list = co_await cache_.load(s.to());
    if (!list) co_return bounce_store_error(svc_.router(), s);
    std::vector<core::jid> items;
    for (const auto& j : **list) items.push_back(core::jid::parse(j).value());
    cache_.add_interested(s.from());
    svc_.router().route(make_result(s, command_element("blocklist", items)));
  }

  boost::asio::awaitable<void> change(core::stanza s, bool block, std::vector<core::jid> items) {
    const core::jid user = s.to();
    auto current = co_await cache_.load(user);
    if (!current) co_return bounce_store_error(svc_.router(), s);
    block_list next = **current;
    std::vector<core::jid> added;
    if (block) {
      for (const auto& j : items)
        if (next.insert(j.str()).second) added.push_back(j);
    } else if (items.empty()) {
      next.clear();  // unblock-all
    } else {
      for (const auto& j : items) next.erase(j.str());
    }
    auto stored = co_await svc_.store().put_private(user, "blocklist", serialize_block_list(next));
    if (!stored) co_return bounce_store_error(svc_.router(), s);
    cache_.replace(user, std::make_shared<const block_list>(std::move(next)));
    svc_.router().route(make_result(s));
    push(user, command_element(block ? "block" : "unblock", items));
    if (block) send_unavailable(user, added);
  }

  void push(const core::jid& user, const core::element& command) {
    for (const auto& full : cache_.interested(user)) {
      core::element iq("iq", std::string(core::ns::client));
      iq.set_attr("type", "set");
      iq.set_attr("id", "block-push-" + std::to_string(++push_id_));
      iq.set_attr("to", full.str());
      iq.set_attr("from", user.str());
      iq.add_child(command);
      svc_.router().route(make_stanza(std::move(iq)));
    }
  }

  // A newly blocked contact sees the user go offline (XEP-0191 3.3).
  void send_unavailable(const core::jid& user, const std::vector<core::jid>& added) {
    for (const auto& r : svc_.router().sessions().resources(user)) {
      if (!r.available) continue;
      for (const auto& contact : added) {
        if (contact.node().empty()) continue;  // a whole domain: no presence to take back
        core::element p("presence", std::string(core::ns::client));
        p.set_attr("type", "unavailable");
        p.set_attr("from", r.ep->address().str());
        p.set_attr("to", contact.str());
        svc_.router().route(make_stanza(std::move(p)));
      }
    }
  }

  service& svc_;
  block_cache cache_;
  std::atomic<std::uint64_t> push_id_{0};
};

// The feature of each service, for the functions below (one service in ofsd, several in tests).
std::mutex instances_mutex;
std::unordered_map<const service*, std::weak_ptr<blocking>> instances;

std::shared_ptr<blocking> instance_of(service& svc) {
  std::lock_guard lock(instances_mutex);
  auto it = instances.find(&svc);
  return it == instances.end() ? nullptr : it->second.lock();
}

}  // namespace

boost::asio::awaitable<std::optional<std::vector<core::jid>>> load_block_list(service& svc, core::jid user) {
  auto b = instance_of(svc);
  if (!b) co_return std::nullopt;
  auto op = b->items_of(std::move(user));  // named: GCC 12
  co_return co_await std::move(op);
}

boost::asio::awaitable<bool> replace_block_list(service& svc, core::jid user, std::vector<core::jid> items) {
  auto b = instance_of(svc);
  if (!b) co_return false;
  auto op = b->replace(std::move(user), std::move(items));  // named: GCC 12
  co_return co_await std::move(op);
}

void install_blocking(service& svc) {
  auto b = std::make_shared<blocking>(svc);
  {
    std::lock_guard lock(instances_mutex);
    instances[&svc] = b;
  }
  auto& r = svc.router();
  for (auto kind : {core::stanza_kind::message, core::stanza_kind::presence, core::stanza_kind::iq}) {
    for (auto target : {core::route_target::full, core::route_target::bare})
      r.add_hook(kind, target, blocking_priority, [b](core::stanza& s) { return b->inbound(s); });
    svc.add_outbound_hook(kind, blocking_priority,
                          [b](core::endpoint& cs, core::stanza& s) { return b->outbound(cs, s); });
  }
  r.add_iq_handler(core::route_target::bare, std::string(blocking_ns),
                   [b](core::stanza& s) { return b->command(s); });
  svc.on_bind([b](core::endpoint& session) { b->on_bind(session); });
  svc.on_unbind([b](core::endpoint& session) { b->on_unbind(session); });
  svc.add_feature(std::string(blocking_ns));
}

}  // namespace ofs::im
