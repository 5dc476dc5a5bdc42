#include "server/core/session_registry.hpp"

#include <algorithm>
#include <atomic>

#include "server/core/presence_observer.hpp"

namespace ofs::core {
namespace {

// Few registries (one per server, some in tests), each with at most one observer; a change
// costs one atomic load while none is set.
struct observers {
  std::mutex mutex;
  std::vector<std::pair<const session_registry*, std::shared_ptr<const presence_observer>>> list;
  std::atomic<std::size_t> count{0};
};
observers& all_observers() {
  static observers o;
  return o;
}

void notify(const session_registry* registry, const jid& bare) {
  auto& o = all_observers();
  if (o.count.load(std::memory_order_acquire) == 0) return;
  std::shared_ptr<const presence_observer> fn;
  {
    std::lock_guard lock(o.mutex);
    for (const auto& [r, f] : o.list)
      if (r == registry) fn = f;
  }
  if (fn) (*fn)(bare);
}

}  // namespace

void observe_presence(const session_registry& registry, presence_observer fn) {
  auto& o = all_observers();
  std::lock_guard lock(o.mutex);
  std::erase_if(o.list, [&](const auto& x) { return x.first == &registry; });
  if (fn) o.list.emplace_back(&registry, std::make_shared<const presence_observer>(std::move(fn)));
  o.count.store(o.list.size(), std::memory_order_release);
}

session_registry::session_registry(std::size_t shard_count)
    : shards_(std::make_unique<shard[]>(shard_count)), shard_count_(shard_count) {}

session_registry::shard& session_registry::shard_for(const std::string& bare) const {
  return shards_[std::hash<std::string>{}(bare) % shard_count_];
}

std::shared_ptr<endpoint> session_registry::bind(const std::shared_ptr<endpoint>& e) {
  const jid& address = e->address();
  const std::string bare = address.bare_str();
  shard& s = shard_for(bare);
  std::shared_ptr<endpoint> replaced;
  std::lock_guard lock(s.mutex);
  auto& list = s.users[bare];
  auto before = list.size();
  std::erase_if(list, [](const entry& x) { return x.ep.expired(); });
  size_.fetch_sub(before - list.size(), std::memory_order_relaxed);
  for (auto& x : list) {
    if (x.resource == address.resource()) {
      replaced = x.ep.lock();
      x = entry(address.resource(), e);
      return replaced;
    }
  }
  list.emplace_back(address.resource(), e);
  size_.fetch_add(1, std::memory_order_relaxed);
  return replaced;
}

bool session_registry::unbind(const endpoint& e) {
  const jid& address = e.address();
  const std::string bare = address.bare_str();
  shard& s = shard_for(bare);
  std::unique_lock lock(s.mutex);
  auto it = s.users.find(bare);
  if (it == s.users.end()) return false;
  auto& list = it->second;
  auto pos = std::find_if(list.begin(), list.end(), [&](const entry& x) { return x.raw == &e; });
  if (pos == list.end()) return false;
  const bool was_available = pos->available;
  list.erase(pos);
  size_.fetch_sub(1, std::memory_order_relaxed);
  if (list.empty()) s.users.erase(it);
  lock.unlock();
  if (was_available) notify(this, address.bare());
  return true;
}

void session_registry::set_presence(const jid& full, std::optional<stanza> presence, int priority) {
  // Kept for probes and new resources: not part of the sender's handling (XEP-0198 acks).
  if (presence) presence->take_handling();
  const std::string bare = full.bare_str();
  shard& s = shard_for(bare);
  {
    std::lock_guard lock(s.mutex);
    auto it = s.users.find(bare);
    if (it == s.users.end()) return;
    for (auto& x : it->second)
      if (x.resource == full.resource()) {
        x.available = presence.has_value();
        x.priority = priority;
        x.presence = std::move(presence);
      }
  }
  notify(this, full.bare());
}

void session_registry::set_interested(const jid& full) {
  const std::string bare = full.bare_str();
  shard& s = shard_for(bare);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(bare);
  if (it == s.users.end()) return;
  for (auto& x : it->second)
    if (x.resource == full.resource()) x.interested = true;
}

std::shared_ptr<endpoint> session_registry::find(const jid& full) const {
  const std::string bare = full.bare_str();
  shard& s = shard_for(bare);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(bare);
  if (it == s.users.end()) return nullptr;
  for (const auto& x : it->second)
    if (x.resource == full.resource()) return x.ep.lock();
  return nullptr;
}

std::vector<bound_resource> session_registry::resources(const jid& bare) const {
  std::vector<bound_resource> out;
  const std::string key = bare.bare_str();
  shard& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(key);
  if (it == s.users.end()) return out;
  out.reserve(it->second.size());
  for (const auto& x : it->second)
    if (auto ep = x.ep.lock())
      out.push_back({std::move(ep), x.priority, x.available, x.interested, x.presence});
  return out;
}

std::vector<bound_resource> session_registry::all() const {
  std::vector<bound_resource> out;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    for (const auto& [bare, entries] : shards_[i].users)
      for (const auto& x : entries)
        if (auto ep = x.ep.lock())
          out.push_back({std::move(ep), x.priority, x.available, x.interested, x.presence});
  }
  return out;
}

}  // namespace ofs::core
