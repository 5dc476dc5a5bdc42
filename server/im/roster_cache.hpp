#pragma once
// The rosters of users with bound sessions, in memory, so that presence fan-out never waits
// for the store. One map per user shard, touched only by that shard's tasks: no lock. Every
// change goes to the store first and reaches the cache only when the store took it.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/endpoint.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {

class service;

// Subscription helpers, from the roster owner's side.
inline bool has_to(storage::subscription s) {
  return s == storage::subscription::to || s == storage::subscription::both;
}
inline bool has_from(storage::subscription s) {
  return s == storage::subscription::from || s == storage::subscription::both;
}

// A contact the roster does not know yet: no subscription, nothing pending.
inline storage::roster_item new_item(core::jid contact) {
  storage::roster_item item;
  item.contact = std::move(contact);
  return item;
}

class roster_cache {
public:
  explicit roster_cache(service& svc);
  ~roster_cache();

  // The roster of `user` (bare), loaded on first use; nullptr when the store failed. On the
  // user's shard only; the pointer stays valid until the current task ends.
  boost::asio::awaitable<storage::roster*> get(core::jid user);
  // Stores item (subscription::remove removes it), then updates the cached copy, if any.
  // Returns the roster's new version.
  boost::asio::awaitable<result<std::uint64_t>> put(core::jid user, storage::roster_item item);
  // Forgets the roster unless `user` still has a bound session other than `leaving`. Tasks
  // that load an offline user's roster call it when done, and presence at each unbind.
  void release(const core::jid& user, const core::endpoint* leaving = nullptr);

  // The item for contact (bare), or nullptr; items are kept sorted by contact.
  static storage::roster_item* find(storage::roster& r, const core::jid& contact);
  // Cached rosters over all shards; only meaningful while no task runs (tests, metrics).
  std::size_t size() const;

private:
  using shard_map = std::unordered_map<std::string, storage::roster>;  // by bare JID
  shard_map& shard_of(const core::jid& user) { return shards_[index_of(user)]; }
  std::size_t index_of(const core::jid& user) const;

  service& svc_;
  std::vector<shard_map> shards_;
};

}  // namespace ofs::im
