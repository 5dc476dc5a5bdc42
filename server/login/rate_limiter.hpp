#pragma once
// At most N events per key (a peer's address) in a sliding window: visitor logins per IP.
// In memory, any thread; keys without events in the window are dropped as they are seen.
#include <chrono>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ofs::login {

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;
  rate_limiter(std::size_t limit, clock::duration window) : limit_(limit), window_(window) {}

  // Counts an event for key and says whether it is within the limit (0: no limit).
  bool allow(const std::string& key, clock::time_point now = clock::now());
  // A reload's new limit, for the events to come.
  void set_limit(std::size_t limit) {
    std::lock_guard lock(mutex_);
    limit_ = limit;
  }

private:
  std::size_t limit_;
  clock::duration window_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::deque<clock::time_point>> events_;
  clock::time_point last_sweep_{};
};

}  // namespace ofs::login
