#include "server/im/offline.hpp"

#include <spdlog/spdlog.h>

#include <mutex>
#include <optional>
#include <unordered_set>
#include <vector>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view delay_ns = "urn:xmpp:delay";

bool available_resource(core::router& r, const core::jid& bare) {
  for (const auto& res : r.sessions().resources(bare))
    if (res.available && res.priority >= 0) return true;
  return false;
}

class offline : public std::enable_shared_from_this<offline> {
public:
  explicit offline(service& svc) : svc_(svc) {}

  core::hook_result on_message(core::stanza& s) {
    // Errors are dropped and groupchat bounced by the router's own rules.
    if (s.type() == "error" || s.type() == "groupchat") return core::hook_result::pass;
    if (available_resource(svc_.router(), s.to().bare())) return core::hook_result::pass;
    if (s.type() == "headline" || !worth_storing(s.xml())) return core::hook_result::handled;
    // Any other type, known or not, counts as normal (RFC 6121 5.2.2).
    auto task = [self = shared_from_this(), s] { return self->store(s); };
    svc_.post(s.to().bare(), s, std::move(task));
    return core::hook_result::handled;
  }

  void on_initial_presence(core::endpoint& session) {
    auto ep = svc_.router().sessions().find(session.address());
    if (ep.get() != &session) return;
    const core::jid owner = session.address().bare();
    for (const auto& r : svc_.router().sessions().resources(owner))
      if (r.ep == ep && (!r.available || r.priority < 0)) return;  // not for it (XEP-0160 4)
    auto task = [self = shared_from_this(), ep] { return self->deliver(ep); };
    if (!svc_.shards().post(owner, std::move(task)))
      spdlog::warn("im: offline messages of {} stay stored: the IM layer refused the work", owner.str());
  }

private:
  // The stored messages handed to one session. Each write callback holds it; when the last
  // one is gone (called or dropped with its session), the batch settles.
  struct batch {
    std::weak_ptr<offline> feature;
    core::jid owner;
    const core::endpoint* to = nullptr;  // identity only
    std::vector<std::int64_t> ids;       // in delivery order
    std::mutex mutex;
    std::vector<char> written;  // per message: written (or unreadable, dropped)
    ~batch() {
      if (auto f = feature.lock()) f->settle(*this);
    }
  };

  boost::asio::awaitable<void> store(core::stanza s) {
    const core::jid owner = s.to().bare();
    // The owner may have come online while this task waited for its turn on the shard.
    if (available_resource(svc_.router(), owner) && svc_.router().deliver_to_bare(s)) co_return;
    core::element xml = s.xml();
    core::element delay("delay", std::string(delay_ns));
    delay.set_attr("from", owner.domain());
    delay.set_attr("stamp", utc_timestamp(std::chrono::system_clock::now()));
    xml.add_child(std::move(delay));
    auto stored = co_await svc_.store().store_offline(owner, to_stored(xml), svc_.config().offline_quota);
    if (!stored && stored.error() == storage::storage_error::no_account)
      svc_.router().bounce(s, core::stanza_error(core::condition::service_unavailable));
    else if (!stored)
      bounce_store_error(svc_.router(), s);
    else if (!*stored)
      svc_.router().bounce(s, core::stanza_error(core::condition::resource_constraint, core::error_type::wait,
                                                 "Offline message quota reached"));
  }

  // Hands the stored messages to ep; they are deleted only once written to its connection
  // (settle), so a session that ends first leaves them for the next one.
  boost::asio::awaitable<void> deliver(std::shared_ptr<core::endpoint> ep) {
    const core::jid owner = ep->address().bare();
    auto messages = co_await svc_.store().load_offline(owner);
    if (!messages) {
      spdlog::warn("im: loading offline messages of {}: {}", owner.str(), messages.error().message());
      co_return;
    }
    // A session that ended while the store answered gets nothing; the messages stay.
    if (svc_.router().sessions().find(ep->address()) != ep) co_return;
    // Another resource's batch is still on its way: these messages are its own (if it ends
    // before they are written, remove() hands them to another resource).
    if (!in_flight(owner)) hand_out(ep, *messages);
  }

  void hand_out(const std::shared_ptr<core::endpoint>& ep,
                const std::vector<storage::offline_message>& messages) {
    const core::jid owner = ep->address().bare();
    std::vector<std::pair<std::int64_t, std::optional<core::stanza>>> todo;
    for (const auto& m : messages) {
      std::optional<core::stanza> s;
      if (auto xml = from_stored(m.xml))
        if (auto parsed = core::stanza::from_element(std::move(*xml))) s = std::move(*parsed);
      if (!s) spdlog::warn("im: dropping unreadable offline message {} of {}", m.id, owner.str());
      todo.emplace_back(m.id, std::move(s));
    }
    if (todo.empty()) return;
    auto b = std::make_shared<batch>();
    b->feature = weak_from_this();
    b->owner = owner;
    b->to = ep.get();
    for (const auto& [id, s] : todo) b->ids.push_back(id);
    b->written.assign(todo.size(), false);
    set_in_flight(owner, true);
    for (std::size_t i = 0; i < todo.size(); ++i) {
      if (!todo[i].second) {
        b->written[i] = true;  // unreadable: deleted with the rest
        continue;
      }
      ep->deliver(std::move(*todo[i].second), [b, i](bool ok) {
        std::lock_guard lock(b->mutex);
        b->written[i] = ok;
      });
    }
  }

  // Every write of b answered: delete up to the last one of the unbroken written prefix.
  void settle(batch& b) {
    std::size_t n = 0;
    {
      std::lock_guard lock(b.mutex);
      while (n < b.written.size() && b.written[n]) ++n;
    }
    const std::int64_t up_to = n ? b.ids[n - 1] : 0;
    if (n < b.ids.size())
      spdlog::info("im: {} of {} offline messages of {} not written; they stay stored", b.ids.size() - n,
                   b.ids.size(), b.owner.str());
    const core::endpoint* failed = n < b.ids.size() ? b.to : nullptr;
    auto task = [self = shared_from_this(), owner = b.owner, up_to, failed] {
      return self->remove(owner, up_to, failed);
    };
    svc_.shards().post_accepted(b.owner, std::move(task));  // finishes work already accepted
  }

  // After a batch: deletes what was written; what was not goes to another available
  // resource of the owner, if there is one, or waits for the next login.
  boost::asio::awaitable<void> remove(core::jid owner, std::int64_t up_to, const core::endpoint* failed) {
    if (up_to > 0) {
      auto done = co_await svc_.store().delete_offline(owner, up_to);
      if (!done) spdlog::warn("im: deleting offline messages of {}: {}", owner.str(), done.error().message());
    }
    set_in_flight(owner, false);
    if (!failed) co_return;
    for (const auto& r : svc_.router().sessions().resources(owner))
      if (r.available && r.priority >= 0 && r.ep.get() != failed) co_return co_await deliver(r.ep);
  }

  bool in_flight(const core::jid& owner) {
    std::lock_guard lock(mutex_);
    return in_flight_.count(owner.str()) > 0;
  }
  void set_in_flight(const core::jid& owner, bool on) {
    std::lock_guard lock(mutex_);
    if (on)
      in_flight_.insert(owner.str());
    else
      in_flight_.erase(owner.str());
  }

  service& svc_;
  std::mutex mutex_;
  std::unordered_set<std::string> in_flight_;  // owners with a batch not yet settled
};

}  // namespace

void install_offline(service& svc) {
  auto f = std::make_shared<offline>(svc);
  svc.router().add_hook(core::stanza_kind::message, core::route_target::bare, offline_priority,
                        [f](core::stanza& s) { return f->on_message(s); });
  svc.on_initial_presence([f](core::endpoint& session) { f->on_initial_presence(session); });
  svc.add_feature("msgoffline");
}

}  // namespace ofs::im
