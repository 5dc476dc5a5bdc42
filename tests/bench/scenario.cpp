#include "tests/bench/scenario.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <cstdio>
#include <exception>

namespace ofs::bench {
namespace asio = boost::asio;

namespace {
void rethrow(std::exception_ptr e) {
  if (e) std::rethrow_exception(e);
}
}  // namespace

fleet::fleet(asio::io_context& io, const bench_options& o, bool fetch_roster,
             std::shared_ptr<client_memory> memory)
    : io_(io), memory_(std::move(memory)), per_source_address_(o.per_source_address), trace_(o.trace) {
  if (!memory_) memory_ = std::make_shared<client_memory>();
  // Benchmark servers run with self-signed certificates on loopback: no verification.
  if (o.tls && !memory_->tls) memory_->tls = std::make_unique<tls_client>();
  login_.server = {asio::ip::make_address(o.host), o.port};
  login_.domain = o.domain;
  login_.password = o.password;
  login_.fetch_roster = fetch_roster;
  login_.scram = o.scram;
  login_.scram_keys = &memory_->scram_keys;
  login_.ws_path = o.ws_path;
  login_.stream_management = o.sm;
  if (o.tls) login_.tls = memory_->tls.get();
}

client& fleet::add(std::string user) {
  asio::ip::address source;  // 127.0.0.1 for the first per_source_address_ clients, then .2, ...
  if (per_source_address_) {
    const auto n = static_cast<unsigned>(clients_.size() / per_source_address_);
    source = asio::ip::address_v4(asio::ip::address_v4::loopback().to_uint() + n);
  }
  clients_.push_back(std::make_unique<client>(io_, std::move(user), login_, source));
  clients_.back()->trace = clients_.size() == trace_;
  logged_in_.push_back(false);
  return *clients_.back();
}

asio::awaitable<void> fleet::login_worker(bool registering) {
  while (next_ < clients_.size()) {
    const std::size_t i = next_++;
    if (logged_in_[i]) continue;
    client& c = *clients_[i];
    const bool ok = registering ? co_await c.register_account() : co_await c.login();
    if (!ok) {
      if (failed_++ == 0) first_error_ = c.user() + ": " + c.error();
      continue;
    }
    if (registering) continue;
    logged_in_[i] = true;
    asio::co_spawn(io_, c.read_loop(), rethrow);
  }
}

asio::awaitable<std::size_t> fleet::run_workers(unsigned concurrency, bool registering) {
  next_ = 0;
  failed_ = 0;
  std::size_t workers = std::min<std::size_t>(std::max(concurrency, 1u), clients_.size());
  std::size_t running = workers;
  for (std::size_t w = 0; w < workers; ++w) {
    auto done = [&running](std::exception_ptr e) {
      --running;
      rethrow(e);
    };  // named first: GCC 12 (TOOLCHAIN section 3)
    asio::co_spawn(io_, login_worker(registering), std::move(done));
  }
  auto all_done = [&running] { return running == 0; };
  co_await wait_until(all_done, std::chrono::hours(1));
  co_return failed_;
}

asio::awaitable<std::size_t> fleet::login_all(unsigned concurrency) {
  const std::size_t failed = co_await run_workers(concurrency, false);
  co_return failed;
}

asio::awaitable<std::size_t> fleet::register_all(unsigned concurrency) {
  const std::size_t failed = co_await run_workers(concurrency, true);
  co_return failed;
}

std::size_t fleet::lost_connections() const {
  std::size_t lost = 0;
  for (std::size_t i = 0; i < clients_.size(); ++i) lost += logged_in_[i] && !clients_[i]->open();
  return lost;
}

void fleet::close_all() {
  for (auto& c : clients_) c->close();
}

asio::awaitable<void> sleep_for(std::chrono::duration<double> d) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::duration_cast<clock::duration>(d));
  co_await t.async_wait(asio::use_awaitable);
}

asio::awaitable<void> wait_until_quiet(int server_pid, std::string name) {
  const auto start = clock::now();
  const auto interval = std::chrono::milliseconds(500);
  double last = process_cpu_seconds(server_pid);
  if (last < 0) co_return;
  while (clock::now() - start < std::chrono::minutes(1)) {
    co_await sleep_for(interval);
    const double now = process_cpu_seconds(server_pid);
    const bool quiet = now - last < 0.1 * std::chrono::duration<double>(interval).count();
    last = now;
    if (quiet) break;
  }
  result(name + ".quiet_after_s", std::chrono::duration<double>(clock::now() - start).count());
}

int run_scenario(asio::io_context& io, asio::awaitable<int> main, double timeout) {
  int code = 3;  // stays 3 if the deadline stops the run
  bool finished = false;
  auto store = [&](std::exception_ptr e, int rc) {
    finished = true;
    code = rc;
    if (e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& x) {
        std::fprintf(stderr, "ofs_bench: %s\n", x.what());
        code = 1;
      }
    }
  };
  asio::co_spawn(io, std::move(main), store);
  asio::steady_timer deadline(
      io, std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(timeout)));
  deadline.async_wait([&](boost::system::error_code ec) {
    if (ec || finished) return;
    std::fprintf(stderr, "ofs_bench: scenario still running after %.0f s: stopped\n", timeout);
    io.stop();
  });
  while (!finished && !io.stopped()) io.run_one();
  deadline.cancel();
  if (finished) io.run_for(std::chrono::seconds(5));  // read loops end after close_all()
  return code;
}

std::string pair_message_head(const bench_options& o, std::size_t i) {
  return "<message type='chat' to='" + o.user_prefix + std::to_string((i ^ 1) + 1) + "@" + o.domain +
         "'><body>";
}

std::size_t index_of(std::string_view jid, std::string_view prefix) {
  auto at = jid.find('@');
  auto local = jid.substr(0, at);
  if (!local.starts_with(prefix)) return 0;
  local.remove_prefix(prefix.size());
  std::size_t v = 0;
  auto [ptr, ec] = std::from_chars(local.data(), local.data() + local.size(), v);
  return ec == std::errc() && ptr == local.data() + local.size() ? v : 0;
}

}  // namespace ofs::bench
