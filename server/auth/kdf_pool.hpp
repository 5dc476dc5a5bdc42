#pragma once
// A bounded pool of threads for password key derivation (PBKDF2: PLAIN logins, registration,
// password changes), so that a derivation of up to a million iterations never holds an I/O
// thread; its workers run below the I/O threads' priority. im::service owns the one for key
// derivation, the server a second one for TLS handshake steps (tcp_transport_options::handshakes).
// async_run may be called from any strand.
#include <atomic>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include "server/core/result.hpp"

namespace ofs::auth {

enum class kdf_error {
  busy = 1,  // every worker busy and the queue full: try again later
  stopped,   // the pool is stopping (server shutdown)
  failed,    // the job threw; the exception goes to the caller
};
}  // namespace ofs::auth

template <>
struct boost::system::is_error_code_enum<ofs::auth::kdf_error> : std::true_type {};

namespace ofs::auth {
const boost::system::error_category& kdf_category();
error_code make_error_code(kdf_error e);

class kdf_pool {
public:
  // workers: 0 for one per core; queue_limit: jobs that may wait for a busy worker.
  kdf_pool(unsigned workers, std::size_t queue_limit);
  ~kdf_pool();  // stop()
  kdf_pool(const kdf_pool&) = delete;
  kdf_pool& operator=(const kdf_pool&) = delete;

  // Runs fn() on a worker. Completes with void(std::exception_ptr, result<R>), R = fn's
  // return type, on the handler's executor (with use_awaitable: the coroutine's own strand):
  // fn's value; kdf_error::busy at once when the queue is full; kdf_error::stopped when the
  // pool stops first; kdf_error::failed with fn's exception. Not cancellable: a job ends by
  // itself, so fn should own whatever it touches.
  template <class Fn, class Token>
  auto async_run(Fn fn, Token&& token) {
    using value = std::invoke_result_t<Fn&>;
    static_assert(!std::is_void_v<value>, "the job must return its result");
    return boost::asio::async_initiate<Token, void(std::exception_ptr, result<value>)>(initiate_run(this),
                                                                                       token, std::move(fn));
  }

  // Refuses queued jobs (kdf_error::stopped), lets running ones finish and joins the
  // threads: bounded by one derivation. Later jobs are refused at once. Idempotent.
  void stop();

  unsigned workers() const { return static_cast<unsigned>(threads_.size()); }
  std::size_t queue_limit() const { return queue_limit_; }
  std::size_t pending() const;                        // queued and running jobs
  std::uint64_t refused() const { return refused_; }  // kdf_error::busy answers so far

private:
  class job {
  public:
    virtual ~job() = default;
    virtual void execute() = 0;  // on a worker
    virtual void deliver() = 0;  // posts execute()'s outcome to the caller
    virtual void refuse(kdf_error e) = 0;
  };
  template <class Fn, class Handler>
  class job_for;
  class initiate_run;  // a named class, not a lambda: it is built inside co_await expressions

  void submit(std::unique_ptr<job> j);
  void work();

  std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::unique_ptr<job>> queue_;
  std::size_t running_ = 0;
  std::atomic<std::uint64_t> refused_ = 0;
  bool stopped_ = false;
  std::mutex join_mutex_;
  std::vector<std::thread> threads_;
};

template <class Fn, class Handler>
class kdf_pool::job_for final : public job {
public:
  using value = std::invoke_result_t<Fn&>;
  job_for(Fn fn, Handler h)
      : fn_(std::move(fn)),
        handler_(std::move(h)),
        work_(boost::asio::make_work_guard(boost::asio::get_associated_executor(handler_))) {}

  void execute() override {
    try {
      value_.emplace(fn_());
    } catch (...) {
      error_ = std::current_exception();
    }
  }
  void deliver() override {
    if (value_) return finish(result<value>(std::move(*value_)));
    finish(result<value>(boost::system::in_place_error, make_error_code(kdf_error::failed)));
  }
  void refuse(kdf_error e) override {
    finish(result<value>(boost::system::in_place_error, make_error_code(e)));
  }

private:
  void finish(result<value> r) {
    auto ex = work_.get_executor();
    boost::asio::post(ex, [h = std::move(handler_), e = error_, r = std::move(r)]() mutable {
      std::move(h)(e, std::move(r));
    });
    work_.reset();
  }

  Fn fn_;
  Handler handler_;
  boost::asio::executor_work_guard<boost::asio::associated_executor_t<Handler>> work_;
  std::optional<value> value_;
  std::exception_ptr error_;
};

class kdf_pool::initiate_run {
public:
  explicit initiate_run(kdf_pool* pool) : pool_(pool) {}
  template <class Handler, class Fn>
  void operator()(Handler&& h, Fn&& fn) const {
    using job_type = job_for<std::decay_t<Fn>, std::decay_t<Handler>>;
    pool_->submit(std::make_unique<job_type>(std::forward<Fn>(fn), std::forward<Handler>(h)));
  }

private:
  kdf_pool* pool_;
};

}  // namespace ofs::auth
