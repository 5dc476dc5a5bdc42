#include "server/im/offline.hpp"

#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view delay_ns = "urn:xmpp:delay";
constexpr std::string_view chatstates_ns = "http://jabber.org/protocol/chatstates";
constexpr std::string_view hints_ns = "urn:xmpp:hints";

bool available_resource(core::router& r, const core::jid& bare) {
  for (const auto& res : r.sessions().resources(bare))
    if (res.available && res.priority >= 0) return true;
  return false;
}

// A message made only of chat states (XEP-0085) means nothing later, and senders may ask
// for no storage (XEP-0334).
bool worth_storing(const core::element& m) {
  if (m.child("no-store", hints_ns) || m.child("no-permanent-store", hints_ns)) return false;
  for (const auto& c : m.children())
    if (!c.is_text() && c.xmlns() != chatstates_ns && c.xmlns() != hints_ns && c.name() != "thread")
      return true;
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
    svc_.shards().post(s.to().bare(), std::move(task));
    return core::hook_result::handled;
  }

  void on_initial_presence(client_session& session) {
    auto ep = svc_.router().sessions().find(session.address());
    if (ep.get() != &session) return;
    const core::jid owner = session.address().bare();
    for (const auto& r : svc_.router().sessions().resources(owner))
      if (r.ep == ep && (!r.available || r.priority < 0)) return;  // not for it (XEP-0160 4)
    auto task = [self = shared_from_this(), ep] { return self->deliver(ep); };
    svc_.shards().post(owner, std::move(task));
  }

private:
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
      svc_.router().bounce(s, core::stanza_error(core::condition::internal_server_error, core::error_type::wait));
    else if (!*stored)
      svc_.router().bounce(s, core::stanza_error(core::condition::resource_constraint, core::error_type::wait,
                                                 "Offline message quota reached"));
  }

  boost::asio::awaitable<void> deliver(std::shared_ptr<core::endpoint> ep) {
    const core::jid owner = ep->address().bare();
    auto messages = co_await svc_.store().load_offline(owner);
    if (!messages) {
      spdlog::warn("im: loading offline messages of {}: {}", owner.str(), messages.error().message());
      co_return;
    }
    if (messages->empty()) co_return;
    // A session that ended while the store answered gets nothing; the messages stay.
    if (svc_.router().sessions().find(ep->address()) != ep) co_return;
    for (const auto& m : *messages) {
      std::optional<core::stanza> s;
      if (auto xml = from_stored(m.xml))
        if (auto parsed = core::stanza::from_element(std::move(*xml))) s = std::move(*parsed);
      if (!s) {
        spdlog::warn("im: dropping unreadable offline message {} of {}", m.id, owner.str());
        continue;
      }
      ep->deliver(std::move(*s));
    }
    auto done = co_await svc_.store().delete_offline(owner, messages->back().id);
    if (!done) spdlog::warn("im: deleting offline messages of {}: {}", owner.str(), done.error().message());
  }

  service& svc_;
};

}  // namespace

void install_offline(service& svc) {
  auto f = std::make_shared<offline>(svc);
  svc.router().add_hook(core::stanza_kind::message, core::route_target::bare, offline_priority,
                        [f](core::stanza& s) { return f->on_message(s); });
  svc.on_initial_presence([f](client_session& session) { f->on_initial_presence(session); });
  svc.add_feature("msgoffline");
}

}  // namespace ofs::im
