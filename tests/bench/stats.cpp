#include "tests/bench/stats.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ofs::bench {

double self_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return secs(u.ru_utime) + secs(u.ru_stime);
}

double process_cpu_seconds(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  // The command name may hold spaces and parentheses: fields are counted after the last ')'.
  auto close = line.rfind(')');
  if (close == std::string::npos) return -1;
  std::istringstream fields(line.substr(close + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // state .. cmajflt: fields 3 to 13
  double utime = 0, stime = 0;
  fields >> utime >> stime;
  return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

long process_rss_kib(int pid) {
  if (pid <= 0) return -1;
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.starts_with("VmRSS:")) return std::stol(line.substr(6));
  return -1;
}

double process_wait_seconds(int pid) {
  const std::string tasks = pid > 0 ? "/proc/" + std::to_string(pid) + "/task" : "/proc/self/task";
  std::error_code ec;
  double total = 0;
  bool any = false;
  for (const auto& t : std::filesystem::directory_iterator(tasks, ec)) {
    std::ifstream in(t.path() / "schedstat");
    double run_ns = 0, wait_ns = 0;
    if (in >> run_ns >> wait_ns) {
      total += wait_ns / 1e9;
      any = true;
    }
  }
  return any ? total : -1;
}

std::int64_t stamp_of(std::string_view body) {
  auto at = body.find("t=");
  if (at == std::string_view::npos) return -1;
  std::int64_t v = -1;
  auto digits = body.substr(at + 2);
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return ec == std::errc() ? v : -1;
}

std::string make_body(std::size_t bytes) {
  std::string body = "t=" + std::to_string(now_ns()) + " ";
  if (body.size() < bytes) body.append(bytes - body.size(), 'x');
  return body;
}

double latencies::percentile_ms(double p) {
  if (samples_.empty()) return NAN;
  if (!sorted_) std::sort(samples_.begin(), samples_.end());
  sorted_ = true;
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * samples_.size()));
  rank = std::clamp<std::size_t>(rank, 1, samples_.size());
  return samples_[rank - 1] / 1e6;
}

phase::phase(int server_pid)
    : pid_(server_pid), start_(clock::now()), gen_start_(self_cpu_seconds()),
      server_start_(process_cpu_seconds(server_pid)), gen_wait_start_(process_wait_seconds(0)),
      server_wait_start_(server_pid > 0 ? process_wait_seconds(server_pid) : -1) {}

void phase::stop() {
  end_ = clock::now();
  gen_end_ = self_cpu_seconds();
  server_end_ = process_cpu_seconds(pid_);
  gen_wait_end_ = process_wait_seconds(0);
  server_wait_end_ = pid_ > 0 ? process_wait_seconds(pid_) : -1;
}

double phase::seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }

void phase::report(std::string_view name) const {
  const double wall = seconds();
  if (wall <= 0) return;
  result(std::string(name) + ".gen_cpu_pct", 100 * (gen_end_ - gen_start_) / wall);
  if (server_start_ >= 0 && server_end_ >= 0)
    result(std::string(name) + ".server_cpu_pct", 100 * (server_end_ - server_start_) / wall);
  if (gen_wait_start_ >= 0 && gen_wait_end_ >= 0)
    result(std::string(name) + ".gen_wait_pct", 100 * (gen_wait_end_ - gen_wait_start_) / wall);
  if (server_wait_start_ >= 0 && server_wait_end_ >= 0)
    result(std::string(name) + ".server_wait_pct", 100 * (server_wait_end_ - server_wait_start_) / wall);
}

void result(std::string_view key, double value) {
  std::printf("result %.*s %.4f\n", static_cast<int>(key.size()), key.data(), value);
  std::fflush(stdout);
}

void note(std::string_view text) {
  std::printf("# %.*s\n", static_cast<int>(text.size()), text.data());
  std::fflush(stdout);
}

}  // namespace ofs::bench
