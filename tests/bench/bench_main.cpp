// ofs_bench: an XMPP client-to-server load generator (TCP or WebSocket), one scenario per run,
// for comparing servers on one machine (scripts/bench.sh drives it against OFS, ejabberd and
// Prosody); its http scenario runs wrk against OFS's HTTP listener or a web server.
// Single-threaded on purpose: it reports its own CPU use, so it is never the unknown
// bottleneck; pin it to a core of its own.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <string>

#include "tests/bench/scenario.hpp"

int main(int argc, char** argv) {
  using namespace ofs::bench;
  bench_options o;
  std::string scenario;
  std::string transport = "tcp";
  std::string ws_path = "/xmpp-websocket";
  CLI::App cli{
      "XMPP load generator (TCP or WebSocket): idle sessions, chat, presence fan-out, MUC; HTTP via wrk"};
  cli.add_option("scenario", scenario, "register | idle | chat | presence | muc | http | storm")
      ->required()
      ->check(CLI::IsMember({"register", "idle", "chat", "presence", "muc", "http", "storm"}));
  cli.add_option("--host", o.host, "server address (loopback only)")->capture_default_str();
  cli.add_option("--port", o.port, "c2s port, or HTTP port for --transport ws and http")->required();
  cli.add_option("--transport", transport, "tcp (c2s) | ws (XMPP over WebSocket, RFC 7395)")
      ->check(CLI::IsMember({"tcp", "ws"}))
      ->capture_default_str();
  cli.add_option("--ws-path", ws_path, "WebSocket request target")->capture_default_str();
  cli.add_option("--domain", o.domain)->capture_default_str();
  cli.add_option("--password", o.password, "every account's password")->capture_default_str();
  cli.add_option("--user-prefix", o.user_prefix, "accounts <prefix>1.. for idle, chat and muc")
      ->capture_default_str();
  cli.add_option("--roster-prefix", o.roster_prefix, "accounts <prefix>1.. for presence")
      ->capture_default_str();
  cli.add_option("--server-pid", o.server_pid, "the server process, for VmRSS and CPU time");
  cli.add_flag("--tls", o.tls, "STARTTLS before authenticating");
  cli.add_flag("--sm", o.sm, "stream management (XEP-0198): acks requested every 5 stanzas sent");
  std::string sasl = "plain";
  cli.add_option("--sasl", sasl, "plain | scram-sha-1 | scram-sha-256 (the last one given counts)")
      ->check(CLI::IsMember({"plain", "scram-sha-1", "scram-sha-256"}))
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeLast)
      ->capture_default_str();
  cli.add_option("--login-concurrency", o.login_concurrency, "logins in progress at once")
      ->capture_default_str();
  cli.add_option("--sessions", o.sessions, "idle: sessions")->capture_default_str();
  cli.add_option("--settle", o.settle, "idle: seconds before reading the server's memory")
      ->capture_default_str();
  cli.add_option("--pairs", o.pairs, "chat: pairs of users")->capture_default_str();
  cli.add_option("--window", o.window, "chat: messages in flight per sender at max rate")
      ->capture_default_str();
  cli.add_option("--rate", o.rate, "chat: total msg/s of the latency run")->capture_default_str();
  cli.add_option("--body-bytes", o.body_bytes, "message body size")->capture_default_str();
  cli.add_option("--duration", o.duration, "seconds measured per phase")->capture_default_str();
  cli.add_option("--warmup", o.warmup, "seconds before each measured phase")->capture_default_str();
  cli.add_option("--roster", o.roster, "presence: contacts per roster")->capture_default_str();
  cli.add_option("--groups", o.groups, "presence: cliques of roster+1 users")->capture_default_str();
  cli.add_flag("--rosters-ready", o.rosters_ready,
               "presence: rosters exist already (made with the server's tool)");
  cli.add_option("--fanout-window", o.fanout_window, "presence/muc: broadcasts in flight per user")
      ->capture_default_str();
  cli.add_option("--muc-occupants", o.muc_occupants)->capture_default_str();
  cli.add_option("--muc-talkers", o.muc_talkers, "muc: occupants that send (0: up to 100000 / occupants)")
      ->capture_default_str();
  cli.add_option("--muc-service", o.muc_service)->capture_default_str();
  cli.add_option("--http-path", o.http_path, "http: the path to GET")->capture_default_str();
  cli.add_option("--http-connections", o.http_connections, "http: keep-alive connections")
      ->capture_default_str();
  cli.add_option("--wrk", o.wrk, "http: the wrk program")->capture_default_str();
  cli.add_option("--http-script", o.http_script, "http: a wrk Lua script varying each request's target");
  cli.add_option("--per-source-address", o.per_source_address,
                 "register: accounts registered from each local address 127.0.0.1, .2, ... (0: all from one)")
      ->capture_default_str();
  cli.add_option("--storm-accounts", o.storm_accounts,
                 "storm: accounts that log in, leave and reconnect at once")
      ->capture_default_str();
  cli.add_option("--storm-concurrency", o.storm_concurrency, "storm: reconnections in flight")
      ->capture_default_str();
  cli.add_option("--storm-pairs", o.storm_pairs, "storm: pairs chatting throughout")->capture_default_str();
  cli.add_option("--storm-rate", o.storm_rate, "storm: their total msg/s")->capture_default_str();
  cli.add_option("--timeout", o.timeout, "seconds; the scenario fails past it")->capture_default_str();
  cli.add_option("--trace", o.trace, "print what the n-th client receives (debugging)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }
  if (sasl == "scram-sha-1") o.scram = ofs::bench::scram_hash::sha1;
  if (sasl == "scram-sha-256") o.scram = ofs::bench::scram_hash::sha256;
  if (transport == "ws") {
    if (o.tls) {
      std::fprintf(
          stderr,
          "ofs_bench: --tls is STARTTLS, which WebSocket does not have (wss:// is not implemented)\n");
      return 2;
    }
    if (!ws_path.starts_with("/")) {
      std::fprintf(stderr, "ofs_bench: --ws-path must start with /\n");
      return 2;
    }
    o.ws_path = ws_path;
  }
  if (!o.http_path.starts_with("/")) {
    std::fprintf(stderr, "ofs_bench: --http-path must start with /\n");
    return 2;
  }
  if (o.roster == 0 || o.pairs == 0 || o.sessions == 0 || o.muc_occupants == 0 || o.fanout_window == 0 ||
      o.http_connections == 0 || o.storm_accounts == 0 || o.storm_concurrency == 0 || o.storm_pairs == 0 ||
      o.storm_rate == 0) {
    std::fprintf(stderr, "ofs_bench: sizes must be positive\n");
    return 2;
  }
  try {
    if (scenario == "register") return run_register(o);
    if (scenario == "idle") return run_idle(o);
    if (scenario == "chat") return run_chat(o);
    if (scenario == "presence") return run_presence(o);
    if (scenario == "http") return run_http(o);
    if (scenario == "storm") return run_storm(o);
    return run_muc(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ofs_bench: %s\n", e.what());
    return 1;
  }
}
