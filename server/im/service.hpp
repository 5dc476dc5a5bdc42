#pragma once
// The IM layer of RFC 6121 and the server XEPs, on top of the router: rosters and
// subscriptions, presence, offline messages, and the server's own IQ features. Front-ends
// (c2s, WebSocket, BOSH, ICPP...) call the three entry points below (and, before
// authentication, preauth_register) and nothing else; features register themselves on the
// router and on the outbound hooks here.
#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "server/core/router.hpp"
#include "server/im/user_shards.hpp"
#include "server/storage/store.hpp"

namespace ofs::auth {
class kdf_pool;
}

namespace ofs::im {

class roster_cache;

// XEP-0313 archiving of one-to-one messages ([archive] in the configuration).
struct archive_config {
  bool enabled = true;
  unsigned retention_days = 0;          // messages older than this are deleted; 0 keeps them
  std::size_t max_page = 100;           // most messages one MAM page returns
  std::string default_mode = "always";  // XEP-0441 default of users without preferences
};

// Archive writes happen after delivery; these count what reached the store and what did not.
struct archive_counters {
  std::atomic<std::uint64_t> written{0};
  std::atomic<std::uint64_t> failed{0};  // store failure or refused work: logged, not archived
};

struct im_config {
  std::size_t offline_quota = 1000;           // messages kept per user while offline
  std::size_t multicast_max_recipients = 50;  // XEP-0033 addresses in one message
  bool registration = false;                  // XEP-0077 in-band registration
  unsigned registrations_per_ip_hour = 5;     // when registration is on
  std::uint32_t scram_iterations = 4096;      // for passwords set over XMPP
  unsigned kdf_workers = 0;                   // key derivation threads; 0: one per core
  std::size_t kdf_queue = 256;                // derivations that may wait for a worker
  std::string server_name = "OFS";            // XEP-0092
  std::string server_version;
  shard_limits shards;  // per-user serial queues: their number and bounds
  // The I/O threads' executors, which the shards are spread over; empty: the service's own.
  std::vector<boost::asio::any_io_executor> shard_executors;
  archive_config archive;
};

// A stanza a bound client sent, 'from' stamped. Returns handled to stop it.
using outbound_hook = std::function<core::hook_result(core::endpoint& from, core::stanza& s)>;

class service {
public:
  service(core::router& router, storage::store& store, boost::asio::any_io_executor ex, im_config config);
  ~service();

  // Registers every feature's hooks and handlers; call once before serving.
  void install();

  // Front-end entry points, from the session's own strand.
  void bind(const std::shared_ptr<core::endpoint>& session);  // after resource binding
  void from_client(core::endpoint& session, core::stanza s);  // every stanza it sends
  void unbind(core::endpoint& session);                       // it is gone, cleanly or not

  // Shutdown, after the sessions are closed and before the store is: close() makes new IM
  // work bounce (<resource-constraint type='wait'/>), drain() blocks until the queued work
  // is done or the deadline passed (false). drain() from a thread that is not an I/O thread,
  // while the I/O threads still run. See user_shards.hpp.
  void close() {
    shards_.close();
    for (auto& fn : close_hooks_) fn();
  }
  bool drain(std::chrono::steady_clock::time_point deadline) { return shards_.drain(deadline); }

  // For features.
  // Runs t on the user's shard (user_shards::post); if refused, bounces `request` to its
  // sender with <resource-constraint type='wait'/> and a text saying why. False if refused.
  bool post(const core::jid& user, const core::stanza& request, task t);
  // The error for work refused by the shards (full queue, or shutting down).
  core::stanza_error refused_error() const;
  void add_outbound_hook(core::stanza_kind kind, int priority, outbound_hook h);
  core::router& router() { return router_; }
  storage::store& store() { return store_; }
  user_shards& shards() { return shards_; }
  // The rosters of online users (roster, subscription and presence share it); shard-confined.
  roster_cache& rosters() { return *rosters_; }
  const im_config& config() const { return config_; }
  // PBKDF2 for logins (PLAIN) and password changes runs here, never on an I/O thread.
  auth::kdf_pool& kdf() { return *kdf_; }
  boost::asio::any_io_executor executor() const { return executor_; }
  archive_counters& archive_stats() { return archive_stats_; }
  // Called by close(): features stop their timers.
  void on_close(std::function<void()> fn) { close_hooks_.push_back(std::move(fn)); }
  // Called once a session is bound (e.g. blocking loads the user's list before it is needed).
  void on_bind(std::function<void(core::endpoint&)> fn) { bind_hooks_.push_back(std::move(fn)); }
  // Called by features when a session ends (e.g. presence sends unavailable).
  void on_unbind(std::function<void(core::endpoint&)> fn) { unbind_hooks_.push_back(std::move(fn)); }
  // Called once per session after its initial presence went out (offline delivery hooks
  // here); the presence feature calls initial_presence_sent() on the session's user shard.
  void on_initial_presence(std::function<void(core::endpoint&)> fn) {
    initial_hooks_.push_back(std::move(fn));
  }
  void initial_presence_sent(core::endpoint& s) {
    for (auto& fn : initial_hooks_) fn(s);
  }
  // Disco namespaces (XEP-0030), sorted and unique: of the server, and of every account
  // (answered on the user's behalf). Start-up only.
  void add_feature(std::string ns);
  void add_account_feature(std::string ns);
  const std::vector<std::string>& features() const { return features_; }
  const std::vector<std::string>& account_features() const { return account_features_; }
  // Services the server's disco#items lists (a MUC domain...): JID and name. Start-up only.
  void add_item(std::string jid, std::string name) { items_.emplace_back(std::move(jid), std::move(name)); }
  const std::vector<std::pair<std::string, std::string>>& items() const { return items_; }

  // XEP-0077 before authentication: the c2s front-end hands over the raw <iq/>, the peer's
  // IP and the stream's host, and writes back the reply element. The registration feature
  // sets the handler; without one the answer is <service-unavailable/>.
  using preauth_handler = std::function<boost::asio::awaitable<core::element>(
      core::element iq, std::string remote_address, std::string host)>;
  void set_preauth_register(preauth_handler h) { preauth_ = std::move(h); }
  boost::asio::awaitable<core::element> preauth_register(core::element iq, std::string remote_address,
                                                         std::string host);

private:
  struct registered {
    int priority;
    outbound_hook fn;
  };
  core::router& router_;
  storage::store& store_;
  boost::asio::any_io_executor executor_;
  im_config config_;
  user_shards shards_;
  std::unique_ptr<roster_cache> rosters_;  // after shards_: sized by it
  std::unique_ptr<auth::kdf_pool> kdf_;    // its destructor stops it and joins its threads
  std::array<std::vector<registered>, 4> outbound_;
  std::vector<std::function<void(core::endpoint&)>> bind_hooks_, unbind_hooks_, initial_hooks_;
  std::vector<std::function<void()>> close_hooks_;
  archive_counters archive_stats_;
  std::vector<std::string> features_, account_features_;
  std::vector<std::pair<std::string, std::string>> items_;
  preauth_handler preauth_;
};

}  // namespace ofs::im
