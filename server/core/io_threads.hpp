#pragma once
// The server's I/O threads. With affinity, one io_context per thread: a connection is placed
// on one for its life, so its handlers, and what other connections of the same thread post to
// it, run without waking another thread; only a hand-off to another thread wakes it (one
// eventfd write). Without, one shared io_context, which passes most handlers from the thread
// that polled to one woken on a condition variable. Owned by the composition root.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ofs::core {

struct io_thread_options {
  unsigned threads = 1;
  // False: one io_context that every thread runs (any idle thread takes any handler). On a
  // machine whose cores other processes keep busy this has the lower latency: a starved
  // thread then holds up none of the connections.
  bool affinity = true;
  // Asked of the kernel for each I/O thread (sched_setattr's sched_runtime, Linux 6.12 and
  // later): a short slice lets a woken thread preempt sooner, but also yields sooner while
  // work is queued. Zero leaves the kernel's default. Older kernels ignore it.
  std::chrono::microseconds slice{0};
  // Without affinity: threads past the first step aside (parked) while the working ones are
  // mostly idle, and come back as the load grows. asio's shared scheduler wakes a second
  // thread each time the polling one comes back with work: a context switch per message at
  // a low rate, which one thread alone does not pay.
  bool park_idle = false;
};

class io_threads {
public:
  explicit io_threads(io_thread_options options);
  ~io_threads();  // stop() and join()
  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  std::size_t size() const { return contexts_.size(); }  // contexts, not threads
  unsigned working() const;                              // threads not parked
  // The first context also serves what is not a connection (signals, timers, the store).
  boost::asio::io_context& context(std::size_t i = 0) { return *contexts_[i]; }
  boost::asio::any_io_executor executor(std::size_t i) { return contexts_[i]->get_executor(); }
  std::vector<boost::asio::any_io_executor> executors();
  // Round-robin over the threads, for a new connection. Any thread.
  boost::asio::any_io_executor next();

  // Starts the threads; each runs its context until stop(). A handler that throws is logged
  // and the thread goes on.
  void start();
  // Stops every context; what is still queued is not run. Any thread but an I/O thread.
  void stop();
  void join();
  bool running() const { return !threads_.empty(); }

private:
  void run(std::size_t i);
  // Parking (park_idle): every governor period, from the threads' CPU time since the last.
  void govern();
  void park_one();  // the thread that runs the posted handler waits in it until unparked
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  io_thread_options options_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::optional<guard>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};

  mutable std::mutex park_mutex_;
  std::condition_variable park_cv_;
  unsigned park_wanted_ = 0, parked_ = 0;
  bool stopping_ = false;
  std::vector<clockid_t> cpu_clocks_;  // of the threads, for govern()
  std::chrono::nanoseconds last_cpu_{0};
  std::chrono::steady_clock::time_point last_sample_;
  std::optional<boost::asio::steady_timer> governor_;  // declared after contexts_: destroyed first
};

// Requests a scheduler slice for the calling thread (see io_thread_options::slice), keeping
// its policy and nice value; "" when done or not needed, else why not.
std::string request_thread_slice(std::chrono::microseconds slice);
// The calling thread's slice as the kernel reports it (zero where it reports none).
std::chrono::nanoseconds current_thread_slice();

}  // namespace ofs::core
