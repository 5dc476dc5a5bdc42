#include "server/core/connection_tracker.hpp"

#include <vector>

namespace ofs::core {

connection_tracker::ticket connection_tracker::track(std::function<void()> close) {
  std::lock_guard lock(mutex_);
  std::uint64_t id = next_id_++;
  open_.emplace(id, std::move(close));
  size_.store(open_.size(), std::memory_order_relaxed);
  return ticket(this, id);
}

void connection_tracker::release(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  open_.erase(id);
  size_.store(open_.size(), std::memory_order_relaxed);
}

void connection_tracker::close_all() {
  std::vector<std::function<void()>> closers;
  {
    std::lock_guard lock(mutex_);
    for (auto& [id, fn] : open_) closers.push_back(fn);
  }
  for (auto& fn : closers) fn();  // outside the lock: a closer may end its connection at once
}

}  // namespace ofs::core
