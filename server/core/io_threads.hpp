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
#include <chrono>
#include <functional>
#include <memory>
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
};

class io_threads {
public:
  explicit io_threads(io_thread_options options);
  ~io_threads();  // stop() and join()
  io_threads(const io_threads&) = delete;
  io_threads& operator=(const io_threads&) = delete;

  std::size_t size() const { return contexts_.size(); }  // contexts, not threads
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
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  io_thread_options options_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<std::optional<guard>> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

// Requests a scheduler slice for the calling thread (see io_thread_options::slice), keeping
// its policy and nice value; "" when done or not needed, else why not.
std::string request_thread_slice(std::chrono::microseconds slice);
// The calling thread's slice as the kernel reports it (zero where it reports none).
std::chrono::nanoseconds current_thread_slice();

}  // namespace ofs::core
