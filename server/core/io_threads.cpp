#include "server/core/io_threads.hpp"

#include <pthread.h>
#include <sched.h>
#include <spdlog/spdlog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <cerrno>
#include <cstdint>
#include <cstring>

namespace ofs::core {
namespace asio = boost::asio;

namespace {
// The kernel's struct sched_attr (include/uapi/linux/sched/types.h, first version): glibc
// 2.36 has no wrapper, and the uapi header clashes with <sched.h>.
struct sched_attr_v0 {
  std::uint32_t size;
  std::uint32_t sched_policy;
  std::uint64_t sched_flags;
  std::int32_t sched_nice;
  std::uint32_t sched_priority;
  std::uint64_t sched_runtime;
  std::uint64_t sched_deadline;
  std::uint64_t sched_period;
};
}  // namespace

std::string request_thread_slice(std::chrono::microseconds slice) {
  if (slice.count() <= 0) return {};
#if defined(SYS_sched_setattr) && defined(SYS_sched_getattr)
  sched_attr_v0 attr{};
  if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) != 0)
    return std::string("sched_getattr: ") + std::strerror(errno);
  if (attr.sched_policy != SCHED_OTHER && attr.sched_policy != SCHED_BATCH) return {};  // not ours to change
  attr.size = sizeof attr;
  attr.sched_flags = 0;
  attr.sched_runtime = static_cast<std::uint64_t>(std::chrono::nanoseconds(slice).count());
  if (::syscall(SYS_sched_setattr, 0, &attr, 0) != 0)
    return std::string("sched_setattr: ") + std::strerror(errno);
  return {};
#else
  return "sched_setattr is not available on this system";
#endif
}

std::chrono::nanoseconds current_thread_slice() {
#if defined(SYS_sched_getattr)
  sched_attr_v0 attr{};
  if (::syscall(SYS_sched_getattr, 0, &attr, sizeof attr, 0) == 0)
    return std::chrono::nanoseconds(static_cast<std::int64_t>(attr.sched_runtime));
#endif
  return {};
}

io_threads::io_threads(io_thread_options options) : options_(options) {
  options_.threads = std::max(1u, options_.threads);
  const unsigned count = options_.affinity ? options_.threads : 1;
  for (unsigned i = 0; i < count; ++i) {
    // Hint 1 with affinity: posts from the context's own thread take its private queue.
    contexts_.push_back(
        std::make_unique<asio::io_context>(options_.affinity ? 1 : static_cast<int>(options_.threads)));
    guards_.emplace_back(asio::make_work_guard(*contexts_.back()));
  }
}

io_threads::~io_threads() {
  stop();
  join();
}

std::vector<asio::any_io_executor> io_threads::executors() {
  std::vector<asio::any_io_executor> out;
  for (auto& c : contexts_) out.push_back(c->get_executor());
  return out;
}

asio::any_io_executor io_threads::next() {
  return executor(next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size());
}

void io_threads::start() {
  for (std::size_t i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { run(i); });
  if (!options_.park_idle || options_.affinity || options_.threads < 2) return;
  for (auto& t : threads_) {
    clockid_t c;
    if (pthread_getcpuclockid(t.native_handle(), &c) == 0) cpu_clocks_.push_back(c);
  }
  last_sample_ = std::chrono::steady_clock::now();
  governor_.emplace(*contexts_[0]);
  {
    std::lock_guard lock(park_mutex_);
    park_wanted_ = options_.threads - 1;  // they come back as the load needs them
  }
  for (unsigned i = 1; i < options_.threads; ++i) park_one();
  asio::post(*contexts_[0], [this] { govern(); });
}

unsigned io_threads::working() const {
  std::lock_guard lock(park_mutex_);
  return options_.threads - parked_;
}

void io_threads::park_one() {
  asio::post(*contexts_[0], [this] {
    std::unique_lock lock(park_mutex_);
    if (stopping_ || parked_ >= park_wanted_) return;
    ++parked_;
    park_cv_.wait(lock, [this] { return stopping_ || parked_ > park_wanted_; });
    --parked_;
  });
}

// A thread comes back when the working ones are more than 60 % busy on average, and one is
// parked when the others could carry the load at under 30 % each: between the two, nothing
// changes, so that a load near a threshold does not make threads come and go.
void io_threads::govern() {
  using namespace std::chrono;
  constexpr auto period = milliseconds(50);
  nanoseconds cpu{0};
  for (auto c : cpu_clocks_) {
    timespec ts{};
    if (clock_gettime(c, &ts) == 0) cpu += seconds(ts.tv_sec) + nanoseconds(ts.tv_nsec);
  }
  const auto now = steady_clock::now();
  const double busy = static_cast<double>((cpu - last_cpu_).count()) /
                      static_cast<double>(std::max<nanoseconds>(now - last_sample_, nanoseconds(1)).count());
  last_cpu_ = cpu;
  last_sample_ = now;
  bool park = false;
  {
    std::lock_guard lock(park_mutex_);
    if (stopping_) return;
    const unsigned working = options_.threads - park_wanted_;
    if (park_wanted_ > 0 && busy > 0.6 * working) {
      --park_wanted_;
      park_cv_.notify_all();
    } else if (working > 1 && busy < 0.3 * (working - 1)) {
      ++park_wanted_;
      park = true;
    }
  }
  if (park) park_one();
  governor_->expires_after(period);
  governor_->async_wait([this](boost::system::error_code ec) {
    if (!ec) govern();
  });
}

void io_threads::run(std::size_t i) {
  if (auto err = request_thread_slice(options_.slice); !err.empty() && i == 0)
    spdlog::warn("I/O threads keep the kernel's scheduling slice: {}", err);
  for (;;) {
    try {
      contexts_[i % contexts_.size()]->run();
      return;
    } catch (const std::exception& e) {
      spdlog::error("uncaught exception on an I/O thread: {}", e.what());
    }
  }
}

void io_threads::stop() {
  {
    std::lock_guard lock(park_mutex_);
    stopping_ = true;
  }
  park_cv_.notify_all();
  for (auto& g : guards_) g.reset();
  for (auto& c : contexts_) c->stop();
}

void io_threads::join() {
  for (auto& t : threads_)
    if (t.joinable()) t.join();
  threads_.clear();
}

}  // namespace ofs::core
