#pragma once
// A counter bumped from every I/O thread on a hot path (stanzas routed) and read rarely
// (statistics): each thread adds to its own cache line, a read sums them. No contention.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <thread>

namespace ofs::core {

class striped_counter {
public:
  void add(std::uint64_t n = 1) { stripes_[stripe()].value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t read() const {
    std::uint64_t sum = 0;
    for (const auto& s : stripes_) sum += s.value.load(std::memory_order_relaxed);
    return sum;
  }

private:
  static constexpr std::size_t stripes = 16;
  struct alignas(64) stripe_value {
    std::atomic<std::uint64_t> value{0};
  };
  static std::size_t stripe() {
    static thread_local const std::size_t mine =
        std::hash<std::thread::id>{}(std::this_thread::get_id()) % stripes;
    return mine;
  }
  std::array<stripe_value, stripes> stripes_{};
};

}  // namespace ofs::core
