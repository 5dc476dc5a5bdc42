// Scenario (a): N authenticated sessions (bound, initial presence sent) that then stay idle.
// Reports the login rate and the server's resident memory per session.
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
  const bench_options& o = o_;
  fleet& clients = clients_;
  for (unsigned i = 1; i <= o.sessions; ++i) clients.add(o.user_prefix + std::to_string(i));
  const long rss_before = process_rss_kib(o.server_pid);
  phase login(o.server_pid);
  const std::size_t failed = co_await clients.login_all(o.login_concurrency);
  login.stop();
  const std::size_t ok = clients.size() - failed;
  if (failed) note(std::to_string(failed) + " logins failed, first: " + clients.first_error());
  result("idle.sessions", static_cast<double>(ok));
  result("idle.login_rate", ok / login.seconds());
  login.report("idle.login");
  // Lets the server finish what the logins left (presence bookkeeping, allocator caches)
  // before reading its memory.
  co_await sleep_for(std::chrono::duration<double>(o.settle));
  const long rss_after = process_rss_kib(o.server_pid);
  if (rss_before > 0 && rss_after > 0 && ok > 0) {
    result("idle.rss_before_kib", static_cast<double>(rss_before));
    result("idle.rss_after_kib", static_cast<double>(rss_after));
    result("idle.rss_kib_per_session", static_cast<double>(rss_after - rss_before) / ok);
  }
  const std::size_t lost = clients.lost_connections();
  result("idle.lost_sessions", static_cast<double>(lost));
  clients.close_all();
  co_return failed || lost ? 1 : 0;
}

}  // namespace

int run_idle(const bench_options& o) {
  asio::io_context io(1);
  idle_scenario s(io, o);
  return run_scenario(io, s.main(), o.timeout);
}

}  // namespace ofs::bench
