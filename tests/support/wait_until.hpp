#pragma once
// Polls a condition until it holds or the limit passes, for tests that wait on other threads.
#include <chrono>
#include <functional>
#include <thread>

namespace ofs::test {

inline bool wait_until(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return true;
}

}  // namespace ofs::test
