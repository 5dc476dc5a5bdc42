#pragma once
// Measuring helpers for the load generator: its own CPU time, the server's CPU time and
// memory from /proc, latency percentiles, and the "result <key> <value>" lines that
// scripts/bench.sh collects.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ofs::bench {

using clock = std::chrono::steady_clock;

// User + system time of this process and its waited-for children (the http scenario's wrk).
double self_cpu_seconds();
double process_cpu_seconds(int pid);  // user + system from /proc/<pid>/stat; -1 if unknown
long process_rss_kib(int pid);        // VmRSS from /proc/<pid>/status; -1 if unknown
// User, nice, system and steal time of the CPUs that this process or `pid` may run on,
// summed (/proc/stat): with the two processes' own CPU time taken off, what the rest of the
// machine used on them. -1 if unknown.
double cpus_busy_seconds(int pid);
// CPU time of all kernel threads (ksoftirqd, kworker, ...): on loopback, much of it is the
// network work of the server and the generator themselves.
double kernel_threads_cpu_seconds();

// A nanosecond timestamp of this process's steady clock, carried in message bodies.
inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
}
// The "t=<ns>" stamp of a body written by make_body; -1 if there is none.
std::int64_t stamp_of(std::string_view body);
// "t=<now> " padded with 'x' to `bytes`, the body of a timed message.
std::string make_body(std::size_t bytes);

class latencies {
public:
  void add(std::int64_t ns) {
    samples_.push_back(ns);
    sorted_ = false;
  }
  std::size_t count() const { return samples_.size(); }
  double percentile_ms(double p);  // p in [0, 100]; sorts once
  void clear() {
    samples_.clear();
    sorted_ = false;
  }

private:
  std::vector<std::int64_t> samples_;
  bool sorted_ = false;
};

// Wall time, generator CPU and server CPU over one measured phase.
class phase {
public:
  explicit phase(int server_pid);
  void stop();
  double seconds() const;
  // "result <name>.gen_cpu_pct ..." and "<name>.server_cpu_pct": share of one core used;
  // "<name>.others_cpu_pct": what other processes used of the same CPUs meanwhile, and
  // "<name>.kernel_cpu_pct": what kernel threads used (of any CPU).
  void report(std::string_view name) const;

private:
  int pid_;
  clock::time_point start_, end_;
  double gen_start_, gen_end_ = 0, server_start_, server_end_ = 0;
  double busy_start_, busy_end_ = 0, kernel_start_, kernel_end_ = 0;
};

void result(std::string_view key, double value);
void note(std::string_view text);  // a "# ..." line for people, ignored by bench.sh

}  // namespace ofs::bench
