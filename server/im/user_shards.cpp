#include "server/im/user_shards.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

namespace ofs::im {
namespace asio = boost::asio;

struct user_shards::shard : std::enable_shared_from_this<user_shards::shard> {
  explicit shard(asio::any_io_executor ex) : strand(asio::make_strand(ex)) {}
  asio::strand<asio::any_io_executor> strand;
  std::deque<task> queue;  // touched on the strand only
  bool running = false;
};

namespace {

// Drains one shard's queue; started when a task arrives at an idle shard.
asio::awaitable<void> drain(std::deque<task>* queue, bool* running) {
  while (!queue->empty()) {
    task t = std::move(queue->front());
    queue->pop_front();
    try {
      co_await t();
    } catch (const std::exception& e) {
      spdlog::error("im: task failed: {}", e.what());
    }
  }
  *running = false;
}

}  // namespace

user_shards::user_shards(asio::any_io_executor ex, std::size_t count) {
  shards_.reserve(count);
  for (std::size_t i = 0; i < count; ++i) shards_.push_back(std::make_unique<shard>(ex));
}

user_shards::~user_shards() = default;

std::size_t user_shards::index_of(const core::jid& user) const {
  return std::hash<std::string>{}(user.bare_str()) % shards_.size();
}

void user_shards::post(const core::jid& user, task t) {
  shard* s = shards_[index_of(user)].get();
  asio::post(s->strand, [s, t = std::move(t)]() mutable {
    s->queue.push_back(std::move(t));
    if (s->running) return;
    s->running = true;
    asio::co_spawn(s->strand, drain(&s->queue, &s->running), asio::detached);
  });
}

}  // namespace ofs::im
