#include "server/auth/kdf_pool.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>

namespace ofs::auth {
namespace {

class kdf_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "kdf_pool"; }
  std::string message(int ev) const override {
    switch (static_cast<kdf_error>(ev)) {
      case kdf_error::busy: return "key derivation queue full";
      case kdf_error::stopped: return "key derivation pool stopped";
      case kdf_error::failed: return "key derivation failed";
    }
    return "unknown key derivation error";
  }
};

}  // namespace

const boost::system::error_category& kdf_category() {
  static const kdf_category_impl category;
  return category;
}

error_code make_error_code(kdf_error e) { return {static_cast<int>(e), kdf_category()}; }

kdf_pool::kdf_pool(unsigned workers, std::size_t queue_limit) : queue_limit_(queue_limit) {
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  try {
    for (unsigned i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  } catch (...) {
    stop();  // the threads already started
    throw;
  }
}

kdf_pool::~kdf_pool() { stop(); }

std::size_t kdf_pool::pending() const {
  std::lock_guard lock(mutex_);
  return queue_.size() + running_;
}

void kdf_pool::submit(std::unique_ptr<job> j) {
  std::optional<kdf_error> refused;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      refused = kdf_error::stopped;
    } else if (queue_.size() + running_ >= threads_.size() + queue_limit_) {
      refused = kdf_error::busy;
      ++refused_;
    } else {
      queue_.push_back(std::move(j));
    }
  }
  if (refused) return j->refuse(*refused);
  ready_.notify_one();
}

void kdf_pool::work() {
  // Below the I/O threads (nice 5): a storm of logins must not delay the stanzas of the
  // sessions already online. Best effort; without the right to, it stays as it is.
  (void)setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), 5);
  for (;;) {
    std::unique_ptr<job> j;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopped_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopped
      j = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    j->execute();
    {
      std::lock_guard lock(mutex_);
      --running_;  // before the caller hears of it, so that it may submit again at once
    }
    j->deliver();
  }
}

void kdf_pool::stop() {
  std::deque<std::unique_ptr<job>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopped_ = true;
    dropped.swap(queue_);
  }
  ready_.notify_all();
  for (auto& j : dropped) j->refuse(kdf_error::stopped);
  std::lock_guard lock(join_mutex_);
  for (auto& t : threads_)
    if (t.joinable() && t.get_id() != std::this_thread::get_id()) t.join();
}

}  // namespace ofs::auth
