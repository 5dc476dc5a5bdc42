#include "server/app/metrics.hpp"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

namespace ofs::app {

struct metrics::gauge {
  prometheus::Gauge* value;
  std::function<double()> read;
};

metrics::metrics() : registry_(std::make_shared<prometheus::Registry>()) {}
metrics::~metrics() = default;

void metrics::add_gauge(const std::string& name, const std::string& help, std::function<double()> read) {
  auto& family = prometheus::BuildGauge().Name(name).Help(help).Register(*registry_);
  gauges_.push_back(std::make_unique<gauge>(gauge{&family.Add({}), std::move(read)}));
}

std::string metrics::scrape() {
  for (auto& g : gauges_) g->value->Set(g->read());
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, registry_->Collect());
  return out.str();
}

double resident_memory_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

}  // namespace ofs::app
