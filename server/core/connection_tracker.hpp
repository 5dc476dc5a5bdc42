#pragma once
// The open connections of one listener, so that shutdown can close them all and wait for
// them, and so that a connection limit can be enforced. Thread-safe. Tickets share the
// tracker's state, so a connection that outlives its listener releases into live memory.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>

namespace ofs::core {

class connection_tracker {
  struct state;

public:
  // How a connection is asked to end: gracefully (the protocol's goodbye, e.g. a
  // <system-shutdown/> stream error, then a flush) or at once (the socket closed).
  enum class close_mode { graceful, now };
  // Called from any thread; must post the actual close onto the connection's strand.
  using closer = std::function<void(close_mode)>;

  // Held by a connection for its lifetime.
  class ticket {
  public:
    ticket() = default;
    ticket(std::shared_ptr<state> s, std::uint64_t id) : state_(std::move(s)), id_(id) {}
    ticket(ticket&& o) noexcept = default;
    ticket& operator=(ticket&&) = delete;
    ~ticket();

  private:
    std::shared_ptr<state> state_;
    std::uint64_t id_ = 0;
  };

  connection_tracker();
  ticket track(closer close);
  void close_all(close_mode mode);
  // Blocks until every ticket is gone or the deadline passes; true if none is left.
  bool wait_empty(std::chrono::steady_clock::time_point deadline) const;
  std::size_t size() const;

private:
  std::shared_ptr<state> state_;
};

}  // namespace ofs::core
