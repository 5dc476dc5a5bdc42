#pragma once
// What every scenario shares: the command-line options and a fleet of clients that log in
// with bounded concurrency. A scenario runs on one io_context on the calling thread and
// prints its figures as "result" lines (stats.hpp); its return value is the exit code.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/bench/client.hpp"
#include "tests/bench/stats.hpp"

namespace ofs::bench {

struct bench_options {
  std::string host = "127.0.0.1";
  unsigned short port = 5222;
  std::string domain = "localhost";
  std::string password = "bench-pw";
  std::string user_prefix = "u";    // u1..uN: idle sessions, chat pairs, MUC occupants
  std::string roster_prefix = "p";  // p1..pG*(R+1): the presence scenario's users
  int server_pid = 0;               // whose RSS and CPU time are read from /proc
  bool tls = false;
  std::string ws_path;              // non-empty: XMPP over WebSocket (RFC 7395) at this path, not TCP
  std::optional<scram_hash> scram;  // SASL SCRAM-SHA-1 or -256 instead of PLAIN
  bool sm = false;                  // XEP-0198 stream management on every client
  unsigned login_concurrency = 50;
  unsigned sessions = 5000;  // idle
  double settle = 3;         // seconds between the last login and the RSS reading
  unsigned pairs = 50;       // chat
  unsigned window = 16;      // messages in flight per sender at max rate
  unsigned rate = 5000;      // msg/s of the latency run
  unsigned body_bytes = 64;
  double duration = 10;        // seconds measured per phase
  double warmup = 2;           // seconds run, not measured, before each phase
  unsigned roster = 50;        // presence: contacts per user
  unsigned groups = 4;         // presence: cliques of roster + 1 users
  bool rosters_ready = false;  // presence: made beforehand; only checked
  unsigned fanout_window = 2;  // presence updates or room messages in flight per user
  unsigned muc_occupants = 50;
  // Occupants that send (0: every one up to 100,000 / occupants, at least 1), so that the
  // copies in flight (talkers x window x occupants) stay within each session's output queue.
  unsigned muc_talkers = 0;
  std::string muc_service = "conference.localhost";
  std::string http_path = "/health";  // http: GET this path
  unsigned http_connections = 50;     // http: keep-alive connections
  std::string wrk = "wrk";            // http: the HTTP load generator run for the measurement
  std::string http_script;            // http: a wrk Lua script that varies the requests (sis)
  // register: accounts per local address (127.0.0.1, .2, ...; 0: one address): OFS takes at
  // most 10,000 in-band registrations an hour from one address.
  unsigned per_source_address = 0;
  // storm: storm_accounts log in once, then reconnect at once (storm_concurrency in flight)
  // while storm_pairs pairs chat at storm_rate msg/s in total.
  unsigned storm_accounts = 10000;
  unsigned storm_concurrency = 500;
  unsigned storm_pairs = 500;
  unsigned storm_rate = 2000;
  double timeout = 180;  // seconds; the scenario fails past it
  unsigned trace = 0;    // client number whose stanzas are printed (debugging)
};

int run_register(const bench_options& o);  // accounts <user_prefix>1..sessions, <roster_prefix>1..
int run_idle(const bench_options& o);
int run_chat(const bench_options& o);
int run_presence(const bench_options& o);
int run_muc(const bench_options& o);
int run_http(const bench_options& o);  // not XMPP: wrk against GET http_path
int run_storm(const bench_options& o);

// What clients remember between logins, as real clients do: SCRAM keys and TLS sessions per
// account. Fleets on the same thread may share one (the storm's reconnecting clients).
struct client_memory {
  scram_key_cache scram_keys;
  std::unique_ptr<tls_client> tls;  // with --tls only
};

// Clients of one scenario; they stay open until close_all().
class fleet {
public:
  fleet(boost::asio::io_context& io, const bench_options& o, bool fetch_roster,
        std::shared_ptr<client_memory> memory = nullptr);
  const std::shared_ptr<client_memory>& memory() const { return memory_; }
  client& add(std::string user);
  client& operator[](std::size_t i) { return *clients_[i]; }
  std::size_t size() const { return clients_.size(); }

  // Logs in every client not yet logged in, `concurrency` at a time, and starts its
  // read loop; returns how many failed (the first error is in first_error()).
  boost::asio::awaitable<std::size_t> login_all(unsigned concurrency);
  // The same for XEP-0077 registration; the connections end after it.
  boost::asio::awaitable<std::size_t> register_all(unsigned concurrency);
  const std::string& first_error() const { return first_error_; }
  std::size_t lost_connections() const;  // logged in, then closed by the server
  void close_all();

private:
  boost::asio::awaitable<void> login_worker(bool registering);
  boost::asio::awaitable<std::size_t> run_workers(unsigned concurrency, bool registering);
  boost::asio::io_context& io_;
  login_options login_;
  std::shared_ptr<client_memory> memory_;
  unsigned per_source_address_ = 0;
  std::vector<std::unique_ptr<client>> clients_;
  std::vector<bool> logged_in_;
  std::size_t next_ = 0, failed_ = 0, trace_ = 0;
  std::string first_error_;
};

// Waits; a scenario's pauses and measuring windows.
boost::asio::awaitable<void> sleep_for(std::chrono::duration<double> d);
// Waits until done() or the deadline; false on timeout. Polls every few milliseconds.
template <class Pred>
boost::asio::awaitable<bool> wait_until(Pred done, std::chrono::duration<double> limit) {
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(limit);
  while (!done()) {
    if (clock::now() >= deadline) co_return false;
    co_await sleep_for(std::chrono::milliseconds(5));
  }
  co_return true;
}
// Waits (up to a minute) until the server uses under 10% of a core, so that one scenario does
// not measure what the previous one left behind (disconnections, storage writes). Reports
// "<name>.quiet_after_s".
boost::asio::awaitable<void> wait_until_quiet(int server_pid, std::string name);
// Runs a scenario's main coroutine to the end (or the options' timeout), then the rest of
// the io_context's work (read loops ending after close_all()).
int run_scenario(boost::asio::io_context& io, boost::asio::awaitable<int> main, double timeout);
// The same for a scenario class made from (io_context&, options), on a context of its own.
template <class Scenario>
int run_scenario(const bench_options& o) {
  boost::asio::io_context io(1);
  Scenario s(io, o);
  return run_scenario(io, s.main(), o.timeout);
}

// The start of a chat message from pair member i (0-based) to its partner (i ^ 1), up to
// <body>: the chat scenarios append the body and the closing tags.
std::string pair_message_head(const bench_options& o, std::size_t i);

// "u17" -> 17 for prefix "u"; 0 when the local part is not prefix + number.
std::size_t index_of(std::string_view jid, std::string_view prefix);

}  // namespace ofs::bench
