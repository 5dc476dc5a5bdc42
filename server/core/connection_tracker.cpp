#include "server/core/connection_tracker.hpp"

#include <vector>

namespace ofs::core {

struct connection_tracker::state {
  mutable std::mutex mutex;
  mutable std::condition_variable emptied;
  std::unordered_map<std::uint64_t, closer> open;
  std::uint64_t next_id = 1;
};

connection_tracker::ticket::~ticket() {
  if (!state_) return;
  std::lock_guard lock(state_->mutex);
  state_->open.erase(id_);
  if (state_->open.empty()) state_->emptied.notify_all();
}

connection_tracker::connection_tracker() : state_(std::make_shared<state>()) {}

connection_tracker::ticket connection_tracker::track(closer close) {
  std::lock_guard lock(state_->mutex);
  std::uint64_t id = state_->next_id++;
  state_->open.emplace(id, std::move(close));
  return ticket(state_, id);
}

void connection_tracker::close_all(close_mode mode) {
  std::vector<closer> closers;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, fn] : state_->open) closers.push_back(fn);
  }
  for (auto& fn : closers) fn(mode);  // outside the lock: a closer may end its connection at once
}

bool connection_tracker::wait_empty(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(state_->mutex);
  return state_->emptied.wait_until(lock, deadline, [this] { return state_->open.empty(); });
}

std::size_t connection_tracker::size() const {
  std::lock_guard lock(state_->mutex);
  return state_->open.size();
}

}  // namespace ofs::core
