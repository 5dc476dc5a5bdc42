#include "server/im/user_shards.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <string>
#include <unordered_map>

namespace ofs::im {
namespace asio = boost::asio;

struct user_shards::shard {
  explicit shard(asio::any_io_executor ex) : strand(asio::make_strand(ex)) {}
  asio::strand<asio::any_io_executor> strand;
  std::mutex mutex;  // guards the queues: post() comes from any thread
  // A user has an entry while a runner works for it: its tasks not yet started.
  std::unordered_map<std::string, std::deque<task>> users;
  std::size_t queued = 0;
};

user_shards::user_shards(asio::any_io_executor ex, shard_limits limits,
                         std::vector<asio::any_io_executor> spread)
    : limits_(limits), executor_(ex) {
  limits_.max_queued_per_user = std::max<std::size_t>(limits_.max_queued_per_user, 1);
  const std::size_t count = std::max<std::size_t>(limits_.shards, 1);
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    shards_.push_back(std::make_unique<shard>(spread.empty() ? ex : spread[i % spread.size()]));
}

user_shards::~user_shards() {
  if (auto left = outstanding())
    spdlog::warn("im: {} queued task(s) dropped when the IM layer was destroyed", left);
}

std::size_t user_shards::index_of(const core::jid& user) const {
  return std::hash<std::string>{}(user.bare_str()) % shards_.size();
}

namespace {
thread_local unsigned follow_ups = 0;
}

user_shards::follow_up::follow_up() { ++follow_ups; }
user_shards::follow_up::~follow_up() { --follow_ups; }

bool user_shards::post(const core::jid& user, task t) { return enqueue(user, std::move(t), follow_ups == 0); }

void user_shards::post_accepted(const core::jid& user, task t) { enqueue(user, std::move(t), false); }

bool user_shards::enqueue(const core::jid& user, task t, bool bounded) {
  std::string key = user.bare_str();
  shard* s = shards_[index_of(user)].get();
  {
    std::lock_guard lock(s->mutex);
    if (bounded && closed()) return false;
    if (bounded && s->queued >= limits_.max_queued_per_shard) return false;
    auto [it, idle] = s->users.try_emplace(key);
    // Never refused when idle (the limit is at least 1): no entry is left without a runner.
    if (bounded && it->second.size() >= limits_.max_queued_per_user) return false;
    it->second.push_back(std::move(t));
    ++s->queued;
    outstanding_.fetch_add(1, std::memory_order_acq_rel);
    if (!idle) return true;  // its runner will get to it
  }
  // Posted, not spawned inline: post() may be called from a task on the same strand, which
  // must not find another user's task running in the middle of it.
  asio::post(s->strand, [this, s, key = std::move(key)]() mutable {
    asio::co_spawn(s->strand, run_user(s, std::move(key)), asio::detached);
  });
  return true;
}

asio::awaitable<void> user_shards::run_user(shard* s, std::string user) {
  for (;;) {
    task t;
    {
      std::lock_guard lock(s->mutex);
      auto it = s->users.find(user);
      if (it->second.empty()) {
        s->users.erase(it);
        co_return;
      }
      t = std::move(it->second.front());
      it->second.pop_front();
      --s->queued;
    }
    try {
      co_await t();
    } catch (const std::exception& e) {
      spdlog::error("im: task for {} failed: {}", user, e.what());
    }
    t = nullptr;  // what the task holds goes before it counts as done
    task_done();
  }
}

void user_shards::spawn_accepted(task t) {
  outstanding_.fetch_add(1, std::memory_order_acq_rel);
  asio::co_spawn(executor_, run_beside(std::move(t)), asio::detached);
}

asio::awaitable<void> user_shards::run_beside(task t) {
  try {
    co_await t();
  } catch (const std::exception& e) {
    spdlog::error("im: task failed: {}", e.what());
  }
  t = nullptr;
  task_done();
}

void user_shards::task_done() {
  if (outstanding_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  std::lock_guard lock(idle_mutex_);  // a drain() between its check and its wait still wakes
  idle_.notify_all();
}

void user_shards::close() {
  if (closed_.exchange(true, std::memory_order_acq_rel)) return;
  if (auto left = outstanding(); left > 0)
    spdlog::info("im: closed to new work; {} task(s) queued or running", left);
}

bool user_shards::drain(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock lock(idle_mutex_);
  if (idle_.wait_until(lock, deadline, [this] { return outstanding() == 0; })) return true;
  spdlog::warn("im: shutdown deadline reached with {} task(s) queued or running", outstanding());
  return false;
}

}  // namespace ofs::im
