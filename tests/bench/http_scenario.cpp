// Scenario (f): HTTP requests/s on keep-alive connections, GET of one small path, measured with
// wrk (one thread, a fixed number of connections) as a child of this process, so that the
// generator's CPU is wrk's. Not XMPP: it compares OFS's HTTP listener with a web server.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/awaitable.hpp>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "tests/bench/scenario.hpp"

extern char** environ;

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

struct command_result {
  int status = -1;  // exit code; -1 when it could not run or was killed
  std::string output;
  std::string error;  // why it could not run
};

// Runs argv[0] (found on PATH) with stdout captured; blocks until it exits.
command_result run_command(const std::vector<std::string>& args) {
  command_result r;
  int out[2];
  if (pipe(out) != 0) {
    r.error = std::string("pipe: ") + std::strerror(errno);
    return r;
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    r.error = args[0] + ": " + std::strerror(rc);
    return r;
  }
  char buf[4096];
  for (ssize_t n; (n = read(out[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    r.output.append(buf, static_cast<std::size_t>(n));
  }
  close(out[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

// "512.34us", "1.20ms", "2.00s" -> milliseconds; NaN if unreadable.
double to_ms(const std::string& number, const std::string& unit) {
  const double v = std::stod(number);
  if (unit == "us") return v / 1000;
  if (unit == "ms") return v;
  if (unit == "s") return v * 1000;
  if (unit == "m") return v * 60000;
  return NAN;
}

// The figure after `label` in wrk's report, or NaN.
double figure(const std::string& report, const std::string& label) {
  std::smatch m;
  const std::regex re(label + R"(\s*([0-9.]+))");
  return std::regex_search(report, m, re) ? std::stod(m[1]) : NAN;
}

double percentile_ms(const std::string& report, const std::string& p) {
  std::smatch m;
  const std::regex re("\\n\\s*" + p + R"(%\s+([0-9.]+)(us|ms|s|m)\b)");
  return std::regex_search(report, m, re) ? to_ms(m[1], m[2]) : NAN;
}

class http_scenario {
public:
  http_scenario(asio::io_context&, const bench_options& o) : o_(o) {}
  asio::awaitable<int> main();

private:
  command_result wrk(double seconds, bool latency) const {
    std::vector<std::string> args{o_.wrk, "-t1", "-c" + std::to_string(o_.http_connections),
                                  "-d" + std::to_string(std::max(1L, std::lround(seconds))) + "s"};
    if (latency) args.push_back("--latency");
    if (!o_.http_script.empty()) args.insert(args.end(), {"-s", o_.http_script});
    args.push_back("http://" + o_.host + ":" + std::to_string(o_.port) + o_.http_path);
    return run_command(args);
  }

  const bench_options o_;
};

asio::awaitable<int> http_scenario::main() {
  co_await wait_until_quiet(o_.server_pid, "http");
  if (o_.warmup > 0) {
    const auto warm = wrk(o_.warmup, false);
    if (!warm.error.empty() || warm.status != 0) {
      note("wrk did not run: " + (warm.error.empty() ? warm.output : warm.error));
      co_return 1;
    }
  }
  phase p(o_.server_pid);  // the generator's CPU is wrk's: a waited-for child of this process
  const auto run = wrk(o_.duration, true);
  p.stop();
  if (!run.error.empty() || run.status != 0) {
    note("wrk failed: " + (run.error.empty() ? run.output : run.error));
    co_return 1;
  }
  std::istringstream lines(run.output);
  for (std::string line; std::getline(lines, line);) note("wrk: " + line);
  const double non_2xx = std::isnan(figure(run.output, "Non-2xx or 3xx responses:"))
                             ? 0
                             : figure(run.output, "Non-2xx or 3xx responses:");
  std::smatch m;
  const std::regex socket_errors(R"(Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+))");
  double errors = 0;
  if (std::regex_search(run.output, m, socket_errors))
    for (int i = 1; i <= 4; ++i) errors += std::stod(m[i]);
  const double rate = figure(run.output, "Requests/sec:");
  if (std::isnan(rate)) {
    note("no Requests/sec in wrk's report");
    co_return 1;
  }
  result("http.requests_per_s", rate);
  result("http.p50_ms", percentile_ms(run.output, "50"));
  result("http.p99_ms", percentile_ms(run.output, "99"));
  result("http.non_2xx", non_2xx);
  result("http.socket_errors", errors);
  p.report("http");
  co_return non_2xx > 0 || errors > 0 ? 1 : 0;
}

}  // namespace

int run_http(const bench_options& o) { return run_scenario<http_scenario>(o); }

}  // namespace ofs::bench
