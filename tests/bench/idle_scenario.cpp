// Scenario (a): N authenticated sessions (bound, initial presence sent) that then stay idle.
// Reports the login rate and the server's resident memory per session. Also the
// registration of the benchmark's accounts over XMPP (XEP-0077), for servers that need it.
#include <boost/asio/awaitable.hpp>
#include <string>

#include "tests/bench/scenario.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

class idle_scenario {
public:
  explicit idle_scenario(asio::io_context& io, const bench_options& o) : o_(o), clients_(io, o, false) {}
  asio::awaitable<int> main();

private:
  const bench_options o_;
  fleet clients_;
};

asio::awaitable<int> idle_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "idle");
  // The first tenth of the sessions only warms the server up (code paths, caches, allocator
  // arenas that any first session pays for); memory and login rate count the rest.
  const unsigned warm = o_.sessions / 10;
  for (unsigned i = 1; i <= warm; ++i) clients_.add(o_.user_prefix + std::to_string(i));
  std::size_t failed = 0;
  if (warm) failed = co_await clients_.login_all(o_.login_concurrency);
  co_await sleep_for(std::chrono::seconds(1));
  for (unsigned i = warm + 1; i <= o_.sessions; ++i) clients_.add(o_.user_prefix + std::to_string(i));
  const long rss_before = process_rss_kib(o_.server_pid);
  phase login(o_.server_pid);
  failed += co_await clients_.login_all(o_.login_concurrency);
  login.stop();
  const std::size_t measured = o_.sessions - warm;
  if (failed) note(std::to_string(failed) + " logins failed, first: " + clients_.first_error());
  result("idle.sessions", static_cast<double>(clients_.size() - failed));
  result("idle.login_rate", measured / login.seconds());
  login.report("idle.login");
  // Lets the server finish what the logins left (presence bookkeeping, deferred frees)
  // before reading its memory.
  co_await sleep_for(std::chrono::duration<double>(o_.settle));
  const long rss_after = process_rss_kib(o_.server_pid);
  if (rss_before > 0 && rss_after > 0 && !failed) {
    result("idle.rss_before_kib", static_cast<double>(rss_before));
    result("idle.rss_after_kib", static_cast<double>(rss_after));
    result("idle.rss_kib_per_session", static_cast<double>(rss_after - rss_before) / measured);
  }
  const std::size_t lost = clients_.lost_connections();
  result("idle.lost_sessions", static_cast<double>(lost));
  clients_.close_all();
  co_return failed || lost ? 1 : 0;
}

class register_scenario {
public:
  register_scenario(asio::io_context& io, const bench_options& o) : o_(o), clients_(io, o, false) {}
  asio::awaitable<int> main();

private:
  const bench_options o_;
  fleet clients_;
};

asio::awaitable<int> register_scenario::main() {
  for (unsigned i = 1; i <= o_.sessions; ++i) clients_.add(o_.user_prefix + std::to_string(i));
  for (unsigned i = 1; i <= o_.groups * (o_.roster + 1); ++i)
    clients_.add(o_.roster_prefix + std::to_string(i));
  phase p(o_.server_pid);
  const std::size_t failed = co_await clients_.register_all(o_.login_concurrency);
  p.stop();
  if (failed) note(std::to_string(failed) + " registrations failed, first: " + clients_.first_error());
  result("register.accounts_per_s", (clients_.size() - failed) / p.seconds());
  co_return failed ? 1 : 0;
}

}  // namespace

int run_register(const bench_options& o) { return run_scenario<register_scenario>(o); }

int run_idle(const bench_options& o) { return run_scenario<idle_scenario>(o); }

}  // namespace ofs::bench
