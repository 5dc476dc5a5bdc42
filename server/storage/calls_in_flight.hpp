#pragma once
// Counts a store's calls that have hopped to its own thread and not yet come back, so that
// close() can wait for them with a deadline. Thread-safe.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace ofs::storage {

class calls_in_flight {
public:
  // Held by a call's frame on the store's thread; released even if the frame is destroyed.
  class guard {
  public:
    explicit guard(calls_in_flight& c) : c_(c) {
      std::lock_guard lock(c_.mutex_);
      ++c_.count_;
    }
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;
    ~guard() {
      std::lock_guard lock(c_.mutex_);
      if (--c_.count_ == 0) c_.idle_.notify_all();
    }

  private:
    calls_in_flight& c_;
  };

  // True once no call is in flight; false if the deadline came first.
  bool wait_idle(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    return idle_.wait_until(lock, deadline, [this] { return count_ == 0; });
  }
  std::size_t count() {
    std::lock_guard lock(mutex_);
    return count_;
  }

private:
  std::mutex mutex_;
  std::condition_variable idle_;
  std::size_t count_ = 0;
};

}  // namespace ofs::storage
