#include "server/auth/kdf_pool.hpp"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "server/auth/scram.hpp"

namespace ofs::auth {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// A job that blocks its worker until the test opens the gate.
struct gate {
  std::promise<void> open_promise;
  std::shared_future<void> opened = open_promise.get_future().share();
  void open() { open_promise.set_value(); }
};

// What one job's caller saw when it resumed.
struct outcome {
  bool done = false;
  error_code ec;
  int value = 0;
};

asio::awaitable<void> run_gated(kdf_pool* pool, std::shared_future<void> opened, int value, outcome* out) {
  auto job = [opened, value] {
    opened.wait();
    return value;
  };
  auto r = co_await pool->async_run(std::move(job), asio::use_awaitable);
  out->done = true;
  if (r)
    out->value = *r;
  else
    out->ec = r.error();
}

// Runs the context until pred() holds, for at most five seconds.
template <class Pred>
bool run_until(asio::io_context& io, Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!pred() && std::chrono::steady_clock::now() < deadline) {
    io.restart();
    io.run_for(10ms);
  }
  return pred();
}

TEST(kdf_pool, runs_off_the_caller_thread_and_resumes_on_the_callers_strand) {
  asio::io_context io;
  auto strand = asio::make_strand(io);
  kdf_pool pool(2, 4);
  std::thread::id caller, worker, resumed;
  bool on_strand = false;
  scram_credentials derived;
  auto body = [&]() -> asio::awaitable<void> {
    caller = std::this_thread::get_id();
    auto job = [&worker] {
      worker = std::this_thread::get_id();
      return derive_credentials(scram_hash::sha256, "pencil", "salt", 4096);
    };
    auto r = co_await pool.async_run(std::move(job), asio::use_awaitable);
    resumed = std::this_thread::get_id();
    on_strand = strand.running_in_this_thread();
    if (r) derived = *r;
  };
  asio::co_spawn(strand, body, asio::detached);
  // Two threads run the context: resuming "somewhere on it" would not be enough.
  std::thread second([&] { io.run_for(5s); });
  io.run_for(5s);
  second.join();
  EXPECT_NE(worker, std::thread::id());
  EXPECT_NE(worker, caller);
  EXPECT_NE(worker, resumed);
  EXPECT_TRUE(on_strand);
  EXPECT_EQ(derived, derive_credentials(scram_hash::sha256, "pencil", "salt", 4096));
}

TEST(kdf_pool, refuses_at_once_when_every_worker_is_busy_and_the_queue_full) {
  asio::io_context io;
  kdf_pool pool(1, 1);
  gate g;
  outcome running, queued, refused;
  asio::co_spawn(io, run_gated(&pool, g.opened, 1, &running), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 2, &queued), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 3, &refused), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return refused.done; }));
  EXPECT_EQ(refused.ec, kdf_error::busy);
  EXPECT_EQ(refused.ec.message(), "key derivation queue full");
  EXPECT_FALSE(running.done);
  EXPECT_FALSE(queued.done);
  EXPECT_EQ(pool.pending(), 2u);
  EXPECT_EQ(pool.refused(), 1u);

  g.open();
  ASSERT_TRUE(run_until(io, [&] { return running.done && queued.done; }));
  EXPECT_EQ(running.value, 1);
  EXPECT_EQ(queued.value, 2);
  // Room again once they are done.
  outcome later;
  asio::co_spawn(io, run_gated(&pool, g.opened, 4, &later), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return later.done; }));
  EXPECT_EQ(later.value, 4);
}

TEST(kdf_pool, a_zero_queue_still_uses_idle_workers) {
  asio::io_context io;
  kdf_pool pool(2, 0);
  gate g;
  outcome a, b, c;
  asio::co_spawn(io, run_gated(&pool, g.opened, 1, &a), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 2, &b), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 3, &c), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return c.done; }));
  EXPECT_EQ(c.ec, kdf_error::busy);
  g.open();
  ASSERT_TRUE(run_until(io, [&] { return a.done && b.done; }));
  EXPECT_EQ(a.value + b.value, 3);
}

TEST(kdf_pool, stop_refuses_queued_jobs_finishes_running_ones_and_joins) {
  asio::io_context io;
  kdf_pool pool(1, 4);
  gate g;
  outcome running, queued1, queued2;
  asio::co_spawn(io, run_gated(&pool, g.opened, 1, &running), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 2, &queued1), asio::detached);
  asio::co_spawn(io, run_gated(&pool, g.opened, 3, &queued2), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return pool.pending() == 3; }));

  auto stopped = std::async(std::launch::async, [&] { pool.stop(); });
  // The queued ones are answered while the running one still holds its worker.
  ASSERT_TRUE(run_until(io, [&] { return queued1.done && queued2.done; }));
  EXPECT_EQ(queued1.ec, kdf_error::stopped);
  EXPECT_EQ(queued2.ec, kdf_error::stopped);
  EXPECT_FALSE(running.done);
  EXPECT_EQ(stopped.wait_for(0s), std::future_status::timeout);  // waits for the running job

  g.open();
  ASSERT_EQ(stopped.wait_for(5s), std::future_status::ready);
  ASSERT_TRUE(run_until(io, [&] { return running.done; }));
  EXPECT_EQ(running.value, 1);

  outcome after;
  asio::co_spawn(io, run_gated(&pool, g.opened, 4, &after), asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return after.done; }));
  EXPECT_EQ(after.ec, kdf_error::stopped);
  pool.stop();  // again: nothing left to do
}

TEST(kdf_pool, an_exception_in_the_job_reaches_the_caller) {
  asio::io_context io;
  kdf_pool pool(1, 1);
  std::string caught;
  auto body = [&]() -> asio::awaitable<void> {
    auto job = []() -> int { throw std::invalid_argument("iterations must be at least 1"); };
    try {
      co_await pool.async_run(std::move(job), asio::use_awaitable);
    } catch (const std::invalid_argument& e) {
      caught = e.what();
    }
  };
  asio::co_spawn(io, body, asio::detached);
  ASSERT_TRUE(run_until(io, [&] { return !caught.empty(); }));
  EXPECT_EQ(caught, "iterations must be at least 1");
}

TEST(kdf_pool, zero_workers_means_one_per_core) {
  kdf_pool pool(0, 8);
  EXPECT_EQ(pool.workers(), std::max(1u, std::thread::hardware_concurrency()));
  EXPECT_EQ(pool.queue_limit(), 8u);
}

}  // namespace
}  // namespace ofs::auth
