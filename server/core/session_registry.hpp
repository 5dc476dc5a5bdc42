#pragma once
// Every locally bound resource, keyed by bare JID and sharded so that routing takes one
// short per-shard lock, never a global one. Holds weak_ptrs: a session that dies without
// unbinding simply stops being found.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/endpoint.hpp"

namespace ofs::core {

struct bound_resource {
  std::shared_ptr<endpoint> ep;
  int priority = 0;
  bool available = false;          // sent initial presence and not yet unavailable
  bool interested = false;         // requested the roster: gets roster pushes (RFC 6121 2.1.6)
  std::optional<stanza> presence;  // the last available presence it broadcast
};

class session_registry {
public:
  explicit session_registry(std::size_t shard_count = 64);

  // Binds e under e->address() (a full JID); returns the endpoint it replaced, if any.
  std::shared_ptr<endpoint> bind(const std::shared_ptr<endpoint>& e);
  // Removes e if it is still the one bound under its address; true if it was.
  bool unbind(const endpoint& e);
  // The resource's broadcast presence: an available one, or nullopt for unavailable.
  void set_presence(const jid& full, std::optional<stanza> presence, int priority);
  void set_interested(const jid& full);

  std::shared_ptr<endpoint> find(const jid& full) const;
  std::vector<bound_resource> resources(const jid& bare) const;
  // Every bound resource, shard by shard (not one atomic snapshot): for administration.
  std::vector<bound_resource> all() const;
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }

private:
  struct entry {
    entry(std::string r, const std::shared_ptr<endpoint>& e) : resource(std::move(r)), ep(e), raw(e.get()) {}
    std::string resource;
    std::weak_ptr<endpoint> ep;
    const endpoint* raw = nullptr;  // identity check in unbind without locking the weak_ptr
    int priority = 0;
    bool available = false;
    bool interested = false;
    std::optional<stanza> presence;
  };
  struct shard {
    mutable std::mutex mutex;
    std::unordered_map<std::string, std::vector<entry>> users;  // bare JID -> resources
  };
  shard& shard_for(const std::string& bare) const;

  std::unique_ptr<shard[]> shards_;
  std::size_t shard_count_;
  std::atomic<std::size_t> size_{0};
};

}  // namespace ofs::core
