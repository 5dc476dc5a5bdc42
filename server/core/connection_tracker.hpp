#pragma once
// The open connections of one listener, so that shutdown can close them all and wait for
// them, and so that a connection limit can be enforced. Thread-safe.
#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ofs::core {

class connection_tracker {
public:
  // Held by a connection for its lifetime; the close function may be called from any
  // thread and must post the actual close onto the connection's strand.
  class ticket {
  public:
    ticket() = default;
    ticket(connection_tracker* owner, std::uint64_t id) : owner_(owner), id_(id) {}
    ticket(ticket&& o) noexcept : owner_(std::exchange(o.owner_, nullptr)), id_(o.id_) {}
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (owner_) owner_->release(id_);
    }

  private:
    connection_tracker* owner_ = nullptr;
    std::uint64_t id_ = 0;
  };

  ticket track(std::function<void()> close);
  void close_all();
  std::size_t size() const { return size_.load(std::memory_order_relaxed); }

private:
  void release(std::uint64_t id);
  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, std::function<void()>> open_;
  std::uint64_t next_id_ = 1;
  std::atomic<std::size_t> size_{0};
};

}  // namespace ofs::core
