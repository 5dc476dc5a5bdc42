#include "server/storage/pg_pool.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace ofs::storage {
namespace asio = boost::asio;
using clock = std::chrono::steady_clock;
using namespace asio::experimental::awaitable_operators;

pg_lease::~pg_lease() {
  if (pool_) pool_->give_back(std::move(conn_));
}

pg_pool::pg_pool(asio::any_io_executor ex, std::string conninfo, std::size_t size,
                 std::chrono::milliseconds connect_timeout)
    : slots_(ex, size),
      closing_(ex, std::chrono::steady_clock::time_point::max()),
      conninfo_(std::move(conninfo)),
      timeout_(connect_timeout) {
  for (std::size_t i = 0; i < size; ++i) slots_.try_send(error_code(), nullptr);  // empty slots
}

void pg_pool::give_back(std::unique_ptr<pg_connection> c) {
  lent_.erase(c.get());
  if (c && !c->reusable()) c.reset();           // its state is unknown: close it, reconnect later
  slots_.try_send(error_code(), std::move(c));  // never full: at most `size` slots exist
}

asio::awaitable<std::pair<std::optional<pg_lease>, std::string>> pg_pool::acquire_first() {
  using out_t = std::pair<std::optional<pg_lease>, std::string>;
  auto [ec, conn] = co_await slots_.async_receive(asio::as_tuple(asio::use_awaitable));
  if (ec) co_return out_t(std::nullopt, "no PostgreSQL connection: " + ec.message());  // cancelled
  if (closed_) {
    slots_.try_send(error_code(), std::move(conn));
    co_return out_t(std::nullopt, "the store is closing");
  }
  pg_lease lease(*this, std::move(conn));  // from here on, the slot goes back whatever happens
  if (!lease.get() || lease->broken()) {
    if (clock::now() < retry_at_) co_return out_t(std::nullopt, std::string());  // failed just now: quiet
    // close() cuts a connect short: a server that does not answer must not delay the stop.
    auto connecting = pg_connection::connect(conninfo_, timeout_);
    auto closing = closing_.async_wait(asio::as_tuple(asio::use_awaitable));
    auto raced = co_await (std::move(connecting) || std::move(closing));
    if (raced.index() == 1) co_return out_t(std::nullopt, "the store is closing");
    auto [fresh, error] = std::get<0>(std::move(raced));
    if (!fresh) {
      retry_at_ = clock::now() + std::min<clock::duration>(timeout_, std::chrono::seconds(1));
      co_return out_t(std::nullopt, std::move(error));
    }
    lease.reset(std::move(fresh));
  }
  lent_.insert(lease.get());
  co_return out_t(std::move(lease), std::string());
}

void pg_pool::close() {
  closed_ = true;
  closing_.cancel();
  slots_.cancel();
  for (pg_connection* c : lent_) c->abort();
}

asio::awaitable<result<pg_lease>> pg_pool::acquire() {
  auto [lease, error] = co_await acquire_first();
  if (!lease) {
    if (!error.empty()) spdlog::error("{}", error);
    co_return storage_error::unavailable;
  }
  co_return std::move(*lease);
}

}  // namespace ofs::storage
