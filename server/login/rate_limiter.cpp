#include "server/login/rate_limiter.hpp"

namespace ofs::login {

bool rate_limiter::allow(const std::string& key, clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (limit_ == 0) return true;
  if (now - last_sweep_ > window_) {  // forget addresses that went quiet
    std::erase_if(events_,
                  [&](const auto& kv) { return kv.second.empty() || now - kv.second.back() >= window_; });
    last_sweep_ = now;
  }
  auto& times = events_[key];
  while (!times.empty() && now - times.front() >= window_) times.pop_front();
  if (times.size() >= limit_) return false;
  times.push_back(now);
  return true;
}

}  // namespace ofs::login
