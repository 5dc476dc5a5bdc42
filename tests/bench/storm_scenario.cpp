// Scenario (h) storm: a login storm after a server restart, as users meet it. storm_accounts
// clients log in once (filling their SCRAM key cache and TLS tickets) and leave; then
// storm_pairs pairs chat at storm_rate msg/s in total while all storm clients reconnect at
// once, storm_concurrency in flight. The storm runs on a thread and io_context of its own, so
// its handshakes do not delay the chatting clients' receipts (and so their latency).
#include <pthread.h>
#include <time.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/this_coro.hpp>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "tests/bench/scenario.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

double thread_cpu_seconds(pthread_t thread) {
  clockid_t id;
  timespec t{};
  if (pthread_getcpuclockid(thread, &id) != 0 || clock_gettime(id, &t) != 0) return -1;
  return static_cast<double>(t.tv_sec) + t.tv_nsec / 1e9;
}

class storm_scenario {
public:
  storm_scenario(asio::io_context& io, const bench_options& o);
  ~storm_scenario();
  asio::awaitable<int> main();

private:
  struct sample {
    std::int64_t sent_ns, latency_ns;
  };
  void send_one(std::size_t i);
  void on_stanza(std::size_t i, const core::element& e);
  asio::awaitable<void> pace();
  // Runs `work` on the storm thread and waits here until it is done; what it returns.
  asio::awaitable<std::size_t> on_storm_thread(std::function<asio::awaitable<std::size_t>()> work);
  void report_latency(std::string_view name, std::int64_t from_ns, std::int64_t to_ns);

  const bench_options o_;
  asio::io_context storm_io_{1};
  asio::executor_work_guard<asio::io_context::executor_type> storm_work_;
  fleet chat_;
  std::unique_ptr<fleet> prime_, storm_;  // only touched on the storm thread
  std::thread storm_thread_;
  std::vector<std::string> head_;
  std::vector<sample> samples_;
  std::uint64_t sent_ = 0, received_ = 0, errors_ = 0;
  bool pacing_ = true;
};

storm_scenario::storm_scenario(asio::io_context& io, const bench_options& o)
    : o_(o), storm_work_(storm_io_.get_executor()), chat_(io, o, false) {
  prime_ = std::make_unique<fleet>(storm_io_, o_, false);
  storm_ = std::make_unique<fleet>(storm_io_, o_, false, prime_->memory());
  for (unsigned i = 0; i < o_.storm_accounts; ++i) {
    const auto user = o_.user_prefix + std::to_string(2 * o_.storm_pairs + i + 1);
    prime_->add(user);
    storm_->add(user);
  }
  storm_thread_ = std::thread([this] { storm_io_.run(); });
}

storm_scenario::~storm_scenario() {
  storm_work_.reset();
  storm_io_.stop();
  storm_thread_.join();
}

void storm_scenario::send_one(std::size_t i) {
  std::string m = head_[i];
  m += make_body(o_.body_bytes);
  m += "</body></message>";
  chat_[i].send_stanza(m);
  ++sent_;
}

void storm_scenario::on_stanza(std::size_t, const core::element& e) {
  if (e.name() != "message") return;
  if (e.attr("type") == "error") {
    ++errors_;
    return;
  }
  const auto* body = e.child("body");
  const std::int64_t stamp = body ? stamp_of(body->text()) : -1;
  if (stamp < 0) return;
  ++received_;
  samples_.push_back({stamp, now_ns() - stamp});
}

// Sends what the rate asks for every 250 µs, round robin over the chatting clients.
asio::awaitable<void> storm_scenario::pace() {
  const auto start = clock::now();
  std::uint64_t paced = 0;
  std::size_t next = 0;
  while (pacing_) {
    const auto target = static_cast<std::uint64_t>(
        std::chrono::duration<double>(clock::now() - start).count() * o_.storm_rate);
    for (; paced < target; ++paced, next = (next + 1) % chat_.size()) send_one(next);
    co_await sleep_for(std::chrono::microseconds(250));
  }
}

asio::awaitable<std::size_t> storm_scenario::on_storm_thread(
    std::function<asio::awaitable<std::size_t>()> work) {
  std::atomic<bool> done = false;
  std::size_t value = std::numeric_limits<std::size_t>::max();
  auto finish = [&](std::exception_ptr e, std::size_t n) {
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        note(std::string("storm thread: ") + x.what());
      }
    } else {
      value = n;
    }
    done.store(true, std::memory_order_release);
  };
  asio::co_spawn(storm_io_, std::move(work), std::move(finish));
  auto is_done = [&done] { return done.load(std::memory_order_acquire); };
  co_await wait_until(is_done, std::chrono::hours(1));
  co_return value;
}

void storm_scenario::report_latency(std::string_view name, std::int64_t from_ns, std::int64_t to_ns) {
  latencies l;
  for (const auto& s : samples_)
    if (s.sent_ns >= from_ns && s.sent_ns < to_ns) l.add(s.latency_ns);
  const std::string n(name);
  result(n + "_messages", static_cast<double>(l.count()));
  result(n + "_p50_ms", l.percentile_ms(50));
  result(n + "_p99_ms", l.percentile_ms(99));
  result(n + "_max_ms", l.percentile_ms(100));
}

asio::awaitable<int> storm_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "storm");
  int code = 0;
  // 1. Every storm account logs in once, as before the restart, and leaves.
  phase prime(o_.server_pid);
  std::function<asio::awaitable<std::size_t>()> first_logins = [this]() -> asio::awaitable<std::size_t> {
    const std::size_t failed = co_await prime_->login_all(o_.login_concurrency);
    prime_->close_all();
    co_return failed;
  };
  const std::size_t prime_failed = co_await on_storm_thread(std::move(first_logins));
  prime.stop();
  result("storm.first_login_rate", (o_.storm_accounts - prime_failed) / prime.seconds());
  result("storm.first_failed_logins", static_cast<double>(prime_failed));
  prime.report("storm.first");
  if (prime_failed) {
    note(std::to_string(prime_failed) + " first logins failed, first: " + prime_->first_error());
    code = 1;
  }
  co_await wait_until_quiet(o_.server_pid, "storm.after_first");
  // 2. The chatting sessions: online, chatting at a paced rate.
  const std::size_t n = 2 * static_cast<std::size_t>(o_.storm_pairs);
  for (std::size_t i = 0; i < n; ++i) {
    client& c = chat_.add(o_.user_prefix + std::to_string(i + 1));
    head_.push_back(pair_message_head(o_, i));
    c.on_stanza = [this, i](const core::element& e) { on_stanza(i, e); };
  }
  const std::size_t chat_failed = co_await chat_.login_all(o_.login_concurrency);
  if (chat_failed) {
    note(std::to_string(chat_failed) + " chatting logins failed, first: " + chat_.first_error());
    chat_.close_all();
    co_return 1;
  }
  const auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, pace(), asio::detached);
  co_await sleep_for(std::chrono::duration<double>(o_.warmup));
  const std::int64_t before_from = now_ns();
  phase before(o_.server_pid);
  co_await sleep_for(std::chrono::duration<double>(o_.duration));
  before.stop();
  const std::int64_t before_to = now_ns();
  // 3. The storm: every storm account at once, storm_concurrency in flight.
  const auto* tls = storm_->memory()->tls.get();
  const std::uint64_t resumed0 = tls ? tls->resumed : 0, full0 = tls ? tls->full : 0;
  const auto& keys = storm_->memory()->scram_keys;
  const std::uint64_t derived0 = keys.derived, reused0 = keys.reused;
  const double storm_cpu0 = thread_cpu_seconds(storm_thread_.native_handle());
  const double chat_cpu0 = thread_cpu_seconds(pthread_self());
  const std::int64_t storm_from = now_ns();
  phase during(o_.server_pid);
  std::function<asio::awaitable<std::size_t>()> reconnect = [this]() -> asio::awaitable<std::size_t> {
    const std::size_t failed = co_await storm_->login_all(o_.storm_concurrency);
    co_return failed;
  };
  const std::size_t storm_failed = co_await on_storm_thread(std::move(reconnect));
  during.stop();
  const std::int64_t storm_to = now_ns();
  const double storm_cpu = thread_cpu_seconds(storm_thread_.native_handle()) - storm_cpu0;
  const double chat_cpu = thread_cpu_seconds(pthread_self()) - chat_cpu0;
  co_await sleep_for(std::chrono::seconds(1));
  pacing_ = false;
  auto all_in = [this] { return received_ + errors_ >= sent_; };
  const bool drained = co_await wait_until(all_in, std::chrono::seconds(10));
  result("storm.duration_s", during.seconds());
  result("storm.login_rate", (o_.storm_accounts - storm_failed) / during.seconds());
  result("storm.failed_logins", static_cast<double>(storm_failed));
  if (tls) {
    result("storm.resumed", static_cast<double>(tls->resumed - resumed0));
    result("storm.full_handshakes", static_cast<double>(tls->full - full0));
  }
  result("storm.scram_keys_reused", static_cast<double>(keys.reused - reused0));
  result("storm.scram_keys_derived", static_cast<double>(keys.derived - derived0));
  if (storm_failed) {
    note(std::to_string(storm_failed) + " storm logins failed, first: " + storm_->first_error());
    code = 1;
  }
  report_latency("storm.before", before_from, before_to);
  report_latency("storm.during", storm_from, storm_to);
  before.report("storm.before");
  during.report("storm.during");
  if (during.seconds() > 0) {
    result("storm.during.storm_thread_cpu_pct", 100 * storm_cpu / during.seconds());
    result("storm.during.chat_thread_cpu_pct", 100 * chat_cpu / during.seconds());
  }
  result("storm.chat_lost", static_cast<double>(sent_ - std::min(sent_, received_ + errors_)));
  result("storm.chat_errors", static_cast<double>(errors_));
  const std::size_t dropped = chat_.lost_connections();
  result("storm.chat_lost_sessions", static_cast<double>(dropped));
  chat_.close_all();
  std::function<asio::awaitable<std::size_t>()> leave = [this]() -> asio::awaitable<std::size_t> {
    storm_->close_all();
    co_return 0;
  };
  co_await on_storm_thread(std::move(leave));
  co_return drained&& errors_ == 0 && dropped == 0 ? code : 1;
}

}  // namespace

int run_storm(const bench_options& o) {
  // A storm outlasts the other scenarios' default limit.
  bench_options with_time = o;
  with_time.timeout = std::max(o.timeout, 1800.0);
  return run_scenario<storm_scenario>(with_time);
}

}  // namespace ofs::bench
