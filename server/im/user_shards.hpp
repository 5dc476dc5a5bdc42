#pragma once
// Serial execution per user: every piece of IM work that concerns one account (roster
// changes, presence broadcast, offline storage) runs in order, one task at a time for that
// account, so a roster push never overtakes the change it reports. Accounts are spread over
// shards (strands); the tasks of different accounts on one shard interleave at their
// suspension points, so one slow store call stalls only its own account, while per-shard
// caches still need no lock (everything on a shard runs on its strand).
//
// Queues are bounded, and post() says when it refuses (the caller bounces the stanza).
// Stopping: close() makes post() refuse new work from then on; drain() waits, from a thread that is
// not an I/O thread, until every queued task has run. Server shutdown order: stop accepting,
// close the sessions (their unbind work is queued), close(), drain(deadline), close the store.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "server/core/jid.hpp"

namespace ofs::im {

using task = std::function<boost::asio::awaitable<void>()>;

struct shard_limits {
  std::size_t shards = 64;
  std::size_t max_queued_per_user = 1000;    // tasks waiting behind the running one
  std::size_t max_queued_per_shard = 20000;  // over every account of the shard
};

class user_shards {
public:
  // The shards' strands go round `spread` (the I/O threads, so that IM work runs on every
  // core), or all on ex when it is empty; ex runs what is spawned beside the queues.
  explicit user_shards(boost::asio::any_io_executor ex, shard_limits limits = {},
                       std::vector<boost::asio::any_io_executor> spread = {});
  ~user_shards();

  // Runs t on the shard of `user` (reduced to its bare JID), after every task posted for the
  // same user before it. Any thread. False, and t is dropped, when the user's or the shard's
  // queue is full or the shards are closed (closed() tells which): the caller bounces.
  // A task that throws is logged and the queue goes on.
  bool post(const core::jid& user, task t);
  // The same for the follow-up of work already accepted (a session's unbind, a delete after
  // a delivery): neither the queue limits nor close() refuse it, so that drain() finishes it
  // instead of losing it.
  void post_accepted(const core::jid& user, task t);
  // Runs t now, beside the queues (in no order with the user's other work), counted by
  // drain() like queued work; never refused. For writes that must not wait in a user's queue.
  void spawn_accepted(task t);
  // While one lives, every post() from this thread is a post_accepted(): for code that routes
  // again what was accepted earlier (a stanza held until a list was loaded), whose posts are
  // made by features that cannot tell.
  class follow_up {
  public:
    follow_up();
    ~follow_up();
    follow_up(const follow_up&) = delete;
    follow_up& operator=(const follow_up&) = delete;
  };
  // From now on post() refuses. Any thread; idempotent.
  void close();
  bool closed() const { return closed_.load(std::memory_order_acquire); }
  // Blocks until no task is queued or running, or until the deadline (false, logging how
  // many tasks were left). Call it after close(), from a thread that is not running the
  // io_context, while the I/O threads still run.
  bool drain(std::chrono::steady_clock::time_point deadline);
  // Tasks queued or running, over every shard.
  std::size_t outstanding() const { return outstanding_.load(std::memory_order_acquire); }

  // The shard's index, for per-shard caches.
  std::size_t index_of(const core::jid& user) const;
  std::size_t size() const { return shards_.size(); }

private:
  struct shard;
  bool enqueue(const core::jid& user, task t, bool bounded);
  boost::asio::awaitable<void> run_user(shard* s, std::string user);
  boost::asio::awaitable<void> run_beside(task t);
  void task_done();

  shard_limits limits_;
  boost::asio::any_io_executor executor_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::atomic<bool> closed_{false};
  std::atomic<std::size_t> outstanding_{0};
  std::mutex idle_mutex_;
  std::condition_variable idle_;
};

}  // namespace ofs::im
