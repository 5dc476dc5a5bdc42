#pragma once
// Prometheus metrics of the whole server, served as text at /metrics. Gauges are read at
// scrape time from their sources (router, listeners), so the hot paths pay nothing.
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace prometheus {
class Registry;
}

namespace ofs::app {

class metrics {
public:
  metrics();
  ~metrics();
  // A gauge whose value is read by `read` at every scrape.
  void add_gauge(const std::string& name, const std::string& help, std::function<double()> read);
  std::string scrape();  // Prometheus text exposition format

private:
  struct gauge;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::unique_ptr<gauge>> gauges_;
};

// Resident memory of this process in bytes, from /proc/self/statm.
double resident_memory_bytes();

}  // namespace ofs::app
