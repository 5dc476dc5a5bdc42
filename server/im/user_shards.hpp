#pragma once
// Serial execution per user: every piece of IM work that concerns one account (roster
// changes, presence broadcast, offline storage) runs on that account's shard, in order,
// one task at a time. A shard is a strand with a queue, so per-user caches need no lock
// and a roster push can never overtake the change it reports.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "server/core/jid.hpp"

namespace ofs::im {

using task = std::function<boost::asio::awaitable<void>()>;

class user_shards {
public:
  user_shards(boost::asio::any_io_executor ex, std::size_t count = 64);
  ~user_shards();

  // Runs t on the shard of `user` (a bare JID), after every task posted there before it.
  // Any thread. A task that throws is logged and the shard goes on.
  void post(const core::jid& user, task t);
  // The shard's index, for per-shard caches.
  std::size_t index_of(const core::jid& user) const;
  std::size_t size() const { return shards_.size(); }

private:
  struct shard;
  std::vector<std::unique_ptr<shard>> shards_;
};

}  // namespace ofs::im
