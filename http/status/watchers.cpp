#include "http/status/watchers.hpp"

#include <vector>

namespace ofs::http::status {

std::shared_ptr<void> watchers::add(const core::jid& bare, wake_fn wake) {
  auto e = std::make_shared<entry>(entry{bare.bare_str(), std::move(wake)});
  {
    std::lock_guard lock(mutex_);
    by_user_.emplace(e->key, e);
  }
  count_.fetch_add(1, std::memory_order_relaxed);
  return std::shared_ptr<void>(nullptr, [this, e](void*) {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_user_.equal_range(e->key);
    for (auto it = first; it != last; ++it)
      if (it->second == e) {
        by_user_.erase(it);
        count_.fetch_sub(1, std::memory_order_relaxed);
        break;
      }
  });
}

void watchers::notify(const core::jid& bare) {
  if (count_.load(std::memory_order_relaxed) == 0) return;
  std::vector<std::shared_ptr<entry>> woken;
  {
    std::lock_guard lock(mutex_);
    auto [first, last] = by_user_.equal_range(bare.bare_str());
    for (auto it = first; it != last; ++it) woken.push_back(it->second);
  }
  for (const auto& e : woken) e->wake();  // outside the lock: wake only posts
}

}  // namespace ofs::http::status
