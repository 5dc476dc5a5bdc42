#include "server/im/service.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/auth/kdf_pool.hpp"
#include "server/im/archive.hpp"
#include "server/im/blocking.hpp"
#include "server/im/carbons.hpp"
#include "server/im/disco.hpp"
#include "server/im/last.hpp"
#include "server/im/multicast.hpp"
#include "server/im/offline.hpp"
#include "server/im/ping.hpp"
#include "server/im/presence.hpp"
#include "server/im/private_storage.hpp"
#include "server/im/register.hpp"
#include "server/im/roster.hpp"
#include "server/im/roster_cache.hpp"
#include "server/im/session.hpp"
#include "server/im/subscription.hpp"
#include "server/im/time.hpp"
#include "server/im/vcard.hpp"
#include "server/im/version.hpp"

namespace ofs::im {

service::service(core::router& router, storage::store& store, boost::asio::any_io_executor ex,
                 im_config config)
    : router_(router),
      store_(store),
      executor_(ex),
      config_(std::move(config)),
      shards_(ex, config_.shards, config_.shard_executors),
      rosters_(std::make_unique<roster_cache>(*this)),
      kdf_(std::make_unique<auth::kdf_pool>(config_.kdf_workers, config_.kdf_queue)) {}

service::~service() = default;

void service::install() {
  // Features are added here as they land (roster, presence, offline, disco, ...).
  install_roster(*this);
  install_subscription(*this);
  install_presence(*this);
  install_blocking(*this);
  install_archive(*this);
  install_carbons(*this);
  install_offline(*this);
  install_multicast(*this);
  install_disco(*this);
  install_ping(*this);
  install_session(*this);
  install_version(*this);
  install_time(*this);
  install_last(*this);
  install_vcard(*this);
  install_private_storage(*this);
  install_register(*this);
}

void service::add_outbound_hook(core::stanza_kind kind, int priority, outbound_hook h) {
  auto& list = outbound_[static_cast<std::size_t>(kind)];
  list.push_back({priority, std::move(h)});
  std::stable_sort(list.begin(), list.end(),
                   [](const auto& a, const auto& b) { return a.priority > b.priority; });
}

namespace {
void insert_sorted(std::vector<std::string>& v, std::string ns) {
  auto it = std::lower_bound(v.begin(), v.end(), ns);
  if (it == v.end() || *it != ns) v.insert(it, std::move(ns));
}
}  // namespace

void service::add_feature(std::string ns) { insert_sorted(features_, std::move(ns)); }
void service::add_account_feature(std::string ns) { insert_sorted(account_features_, std::move(ns)); }

boost::asio::awaitable<core::element> service::preauth_register(core::element iq, std::string remote_address,
                                                                std::string host) {
  if (preauth_) co_return co_await preauth_(std::move(iq), std::move(remote_address), std::move(host));
  core::element reply("iq", std::string(core::ns::client));
  reply.set_attr("type", "error");
  if (iq.has_attr("id")) reply.set_attr("id", std::string(iq.attr("id")));
  reply.add_child(core::make_error_element(core::stanza_error(core::condition::service_unavailable)));
  co_return reply;
}

bool service::post(const core::jid& user, const core::stanza& request, task t) {
  if (shards_.post(user, std::move(t))) return true;
  spdlog::debug("im: work for {} refused ({}), {} bounced", user.bare_str(),
                shards_.closed() ? "shutting down" : "queue full", request.name());
  router_.bounce(request, refused_error());
  return false;
}

core::stanza_error service::refused_error() const {
  if (shards_.closed())
    return {core::condition::resource_constraint, core::error_type::wait,
            "The server is shutting down; try again later"};
  return {core::condition::resource_constraint, core::error_type::wait,
          "Too many requests are waiting for this account; try again later"};
}

void service::bind(const std::shared_ptr<core::endpoint>& session) {
  router_.bind(session);
  for (auto& fn : bind_hooks_) fn(*session);
}

void service::from_client(core::endpoint& session, core::stanza s) {
  for (auto& h : outbound_[static_cast<std::size_t>(s.kind())])
    if (h.fn(session, s) == core::hook_result::handled) return;
  router_.route(std::move(s));
}

void service::unbind(core::endpoint& session) {
  for (auto& fn : unbind_hooks_) fn(session);
  router_.unbind(session);
}

}  // namespace ofs::im
