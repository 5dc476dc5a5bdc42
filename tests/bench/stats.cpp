#include "tests/bench/stats.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace ofs::bench {

double self_cpu_seconds() {
  auto secs = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  double total = 0;
  for (int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    total += secs(u.ru_utime) + secs(u.ru_stime);
  }
  return total;
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

double cpus_busy_seconds(int pid) {
  cpu_set_t mine, theirs;
  CPU_ZERO(&mine);
  CPU_ZERO(&theirs);
  if (sched_getaffinity(0, sizeof mine, &mine) != 0) return -1;
  if (pid > 0 && sched_getaffinity(pid, sizeof theirs, &theirs) != 0) return -1;
  CPU_OR(&mine, &mine, &theirs);
  std::ifstream in("/proc/stat");
  double ticks = 0;
  for (std::string line; std::getline(in, line);) {
    if (!line.starts_with("cpu") || line.size() < 4 || !std::isdigit(static_cast<unsigned char>(line[3])))
      continue;
    std::istringstream fields(line.substr(3));
    int cpu = -1;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    fields >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    // irq and softirq are left out: loopback traffic is mostly softirq work for our own two.
    if (cpu >= 0 && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &mine)) ticks += user + nice + system + steal;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double kernel_threads_cpu_seconds() {
  constexpr unsigned long pf_kthread = 0x00200000;  // include/linux/sched.h
  std::error_code ec;
  double ticks = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
    const auto name = entry.path().filename().string();
    if (name.empty() || !std::isdigit(static_cast<unsigned char>(name[0]))) continue;
    std::ifstream in(entry.path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;
    auto close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(line.substr(close + 2));
    std::string skip;
    unsigned long flags = 0;
    double utime = 0, stime = 0;
    for (int i = 3; i < 9; ++i) fields >> skip;  // state .. tpgid: fields 3 to 8
    fields >> flags;                             // field 9
    for (int i = 10; i < 14; ++i) fields >> skip;
    fields >> utime >> stime;
    if (flags & pf_kthread) ticks += utime + stime;
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
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
    : pid_(server_pid),
      start_(clock::now()),
      gen_start_(self_cpu_seconds()),
      server_start_(process_cpu_seconds(server_pid)),
      busy_start_(cpus_busy_seconds(server_pid)),
      kernel_start_(kernel_threads_cpu_seconds()) {}

void phase::stop() {
  end_ = clock::now();
  gen_end_ = self_cpu_seconds();
  server_end_ = process_cpu_seconds(pid_);
  busy_end_ = cpus_busy_seconds(pid_);
  kernel_end_ = kernel_threads_cpu_seconds();
}

double phase::seconds() const { return std::chrono::duration<double>(end_ - start_).count(); }

void phase::report(std::string_view name) const {
  const double wall = seconds();
  if (wall <= 0) return;
  result(std::string(name) + ".gen_cpu_pct", 100 * (gen_end_ - gen_start_) / wall);
  if (server_start_ >= 0 && server_end_ >= 0)
    result(std::string(name) + ".server_cpu_pct", 100 * (server_end_ - server_start_) / wall);
  if (server_start_ >= 0 && server_end_ >= 0 && busy_start_ >= 0 && busy_end_ >= 0) {
    const double ours = (gen_end_ - gen_start_) + (server_end_ - server_start_);
    const double kernel = kernel_end_ - kernel_start_;
    result(std::string(name) + ".others_cpu_pct",
           std::max(0.0, 100 * (busy_end_ - busy_start_ - ours - kernel) / wall));
    result(std::string(name) + ".kernel_cpu_pct", 100 * kernel / wall);
  }
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
