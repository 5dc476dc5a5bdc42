#pragma once
// The open event streams by user: a presence change wakes those of its user. Streams come
// and go on their own strands; notify() comes from whichever thread changed the presence and
// costs one atomic load while no stream is open.
#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "server/core/jid.hpp"

namespace ofs::http::status {

class watchers {
public:
  using wake_fn = std::function<void()>;  // must only post to the stream's strand
  // Watches `bare` until the returned handle is destroyed.
  std::shared_ptr<void> add(const core::jid& bare, wake_fn wake);
  void notify(const core::jid& bare);
  std::size_t size() const { return count_.load(std::memory_order_relaxed); }

private:
  struct entry {
    std::string key;
    wake_fn wake;
  };
  std::mutex mutex_;
  std::unordered_multimap<std::string, std::shared_ptr<entry>> by_user_;
  std::atomic<std::size_t> count_{0};
};

}  // namespace ofs::http::status
