#include "server/im/pending_writes.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ofs::im {
namespace asio = boost::asio;

void pending_writes::started(const std::string& owner) {
  std::lock_guard lock(mutex_);
  ++writing_[owner].count;
}

void pending_writes::finished(const std::string& owner) {
  std::vector<std::shared_ptr<asio::steady_timer>> waiters;
  {
    std::lock_guard lock(mutex_);
    auto it = writing_.find(owner);
    if (it == writing_.end() || --it->second.count > 0) return;
    waiters = std::move(it->second.waiters);
    writing_.erase(it);
  }
  // On each timer's own executor; a deadline in the past also ends a wait not yet begun.
  for (auto& t : waiters)
    asio::post(t->get_executor(), [t] { t->expires_at(asio::steady_timer::time_point::min()); });
}

asio::awaitable<void> pending_writes::settled(std::string owner, std::chrono::milliseconds limit) {
  auto timer = std::make_shared<asio::steady_timer>(co_await asio::this_coro::executor, limit);
  {
    std::lock_guard lock(mutex_);
    auto it = writing_.find(owner);
    if (it == writing_.end()) co_return;
    it->second.waiters.push_back(timer);
  }
  co_await timer->async_wait(asio::as_tuple(asio::use_awaitable));
}

}  // namespace ofs::im
