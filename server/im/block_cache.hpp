#pragma once
// The XEP-0191 block lists of local users, loaded from the private store on first use and
// kept so that checking a stanza is one hash lookup under one shard's mutex. Loads and
// changes run on the owner's user shard; lookups come from any thread. Owned by the
// blocking feature.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/core/jid.hpp"
#include "server/core/result.hpp"

namespace ofs::im {

class service;

using block_list = std::set<std::string>;  // canonical JIDs of the items
using block_list_ptr = std::shared_ptr<const block_list>;

// Whether an item covers `who`: its full JID, bare JID, domain/resource or domain
// (XEP-0191 section 3.3, with the matching rules of XEP-0016 section 2.1).
bool blocks(const block_list& list, const core::jid& who);

// The stored form: one JID per line.
std::string serialize_block_list(const block_list& list);
block_list parse_block_list(std::string_view text);

class block_cache {
public:
  using retry_fn = std::function<void(bool loaded)>;

  // max_per_shard bounds the entries kept for accounts nobody is logged in to.
  explicit block_cache(service& svc, std::size_t max_per_shard = 4096);
  ~block_cache();

  // The list of `user` (a local bare JID) if loaded. Otherwise nullptr, and the retry that
  // make_retry() returns runs on the user's shard once the load is over: retry(true) when
  // the list is known (retries run in the order they were queued and before any later
  // lookup gets an answer, so a sender's stanzas keep their order), retry(false) when it
  // could not be loaded (the store failed, or the IM layer refused the work): fail closed,
  // the stanza must be refused, never let through. The next lookup tries the store again.
  // make_retry is only called on that slow path.
  template <class MakeRetry>
  block_list_ptr get_or_defer(const core::jid& user, MakeRetry&& make_retry) {
    if (auto list = lookup(user.bare_str())) return list;
    return defer(user, make_retry());
  }
  // The list of `user` if loaded, else nullptr; never starts a load.
  block_list_ptr find(const core::jid& user) const { return lookup(user.bare_str()); }
  // On the user's shard: the list, from the cache or else from the store.
  boost::asio::awaitable<result<block_list_ptr>> load(core::jid user);
  // On the user's shard, once a changed list is stored.
  void replace(const core::jid& user, block_list_ptr list);

  // Resources that requested the list get pushes (XEP-0191 section 3.2).
  void add_interested(const core::jid& full);
  std::vector<core::jid> interested(const core::jid& user) const;
  // A session ended; after the user's last one an empty list is not worth keeping.
  void session_ended(const core::jid& full, bool last_of_user);

private:
  struct entry {
    block_list_ptr list;            // null until loaded
    bool ready = false;             // loaded and no retries queued: lookups answer directly
    std::vector<retry_fn> pending;  // no allocation while empty, unlike a deque
  };
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, entry> users;                       // by bare JID
    std::unordered_map<std::string, std::set<std::string>> interested;  // bare -> resources
  };
  shard& shard_for(const std::string& bare) const;
  block_list_ptr lookup(const std::string& key) const;
  block_list_ptr defer(const core::jid& user, retry_fn retry);
  void refuse_pending(const std::string& key);        // the load failed: every held stanza refused
  boost::asio::awaitable<void> fill(core::jid user);  // the deferred load, then the retries
  void evict_one(shard& s, const std::string& keep);  // s.mutex held

  service& svc_;
  std::size_t max_per_shard_;
  static constexpr std::size_t shard_count = 16;
  std::unique_ptr<shard[]> shards_;
};

}  // namespace ofs::im
