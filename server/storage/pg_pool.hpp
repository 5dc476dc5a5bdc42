#pragma once
// A fixed number of connection slots, each idle connection or empty, in a channel. A caller
// takes a slot (waiting when all are lent), connects it if empty or broken, and the lease
// gives it back; a connection left mid-query or mid-transaction is dropped, not reused.
// Runs on pg_store's one I/O thread only, so a plain (not concurrent) channel suffices.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <unordered_set>

#include "server/storage/pg_connection.hpp"

namespace ofs::storage {

class pg_pool;

class pg_lease {
public:
  pg_lease(pg_pool& pool, std::unique_ptr<pg_connection> c) : pool_(&pool), conn_(std::move(c)) {}
  pg_lease(pg_lease&& o) noexcept : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)) {}
  pg_lease& operator=(pg_lease&&) = delete;
  ~pg_lease();

  pg_connection* get() const { return conn_.get(); }
  pg_connection& operator*() const { return *conn_; }
  pg_connection* operator->() const { return conn_.get(); }
  void reset(std::unique_ptr<pg_connection> c) { conn_ = std::move(c); }

private:
  pg_pool* pool_;
  std::unique_ptr<pg_connection> conn_;
};

class pg_pool {
public:
  pg_pool(boost::asio::any_io_executor ex, std::string conninfo, std::size_t size,
          std::chrono::milliseconds connect_timeout);

  // A connected connection, or unavailable (logged) when the server cannot be reached.
  boost::asio::awaitable<result<pg_lease>> acquire();
  // Like acquire, but a failure comes back as the one-line reason, not logged; the reason is
  // empty when a connect failed moments ago and this call did not try again.
  boost::asio::awaitable<std::pair<std::optional<pg_lease>, std::string>> acquire_first();

  // Shutdown: callers waiting for a slot and every query running fail with unavailable,
  // later acquires too.
  void close();

private:
  friend class pg_lease;
  void give_back(std::unique_ptr<pg_connection> c);

  using channel = boost::asio::experimental::channel<void(error_code, std::unique_ptr<pg_connection>)>;
  channel slots_;
  boost::asio::steady_timer closing_;  // never expires; cancelled by close()
  std::string conninfo_;
  std::chrono::milliseconds timeout_;
  // After a failed connect, others fail fast for a moment instead of each waiting the timeout.
  std::chrono::steady_clock::time_point retry_at_{};
  std::unordered_set<pg_connection*> lent_;  // connected and lent out, for close()
  bool closed_ = false;
};

}  // namespace ofs::storage
