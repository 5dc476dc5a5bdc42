#pragma once
// One libpq connection driven through its non-blocking API, its socket watched by Asio.
// pg_pool lends it to one coroutine at a time, always on pg_store's I/O thread: a single
// thread also means no readiness edge is lost between PQconsumeInput and async_wait.
#include <libpq-fe.h>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/storage/convert.hpp"

namespace ofs::storage {

class bytea {  // a parameter sent as binary bytea; a class, not an aggregate (GCC 12)
public:
  explicit bytea(std::string_view b) : bytes(b) {}
  std::string_view bytes;
};

struct pg_param {
  std::string value;
  unsigned type = 0;  // Oid; 0 lets the server infer it
  int format = 0;     // 0 text, 1 binary
};
inline pg_param to_pg_param(std::string_view s) { return {std::string(s)}; }
inline pg_param to_pg_param(bytea b) { return {std::string(b.bytes), 17, 1}; }
template <std::integral T>
pg_param to_pg_param(T v) {
  if constexpr (std::same_as<T, bool>) {
    return {v ? "true" : "false", 16};
  } else {
    if constexpr (std::unsigned_integral<T> && sizeof(T) >= sizeof(std::int64_t))
      if (v > static_cast<T>(INT64_MAX)) v = static_cast<T>(INT64_MAX);  // a quota of "all"
    return {std::to_string(v), 20};                                      // int8
  }
}

// A query's result, in text format.
class pg_rows {
public:
  explicit pg_rows(PGresult* r = nullptr) : res_(r) {}
  int size() const { return res_ ? PQntuples(res_.get()) : 0; }
  bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col); }
  std::string text(int row, int col) const;
  std::int64_t int64(int row, int col) const;
  bool boolean(int row, int col) const { return *PQgetvalue(res_.get(), row, col) == 't'; }
  std::string bytes(int row, int col) const;  // a bytea column
  std::int64_t affected() const;              // rows changed by INSERT/UPDATE/DELETE

private:
  struct clear {
    void operator()(PGresult* r) const { PQclear(r); }
  };
  std::unique_ptr<PGresult, clear> res_;
};

class pg_connection {
public:
  // Connects within `timeout`. On failure: null and one line such as
  // "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused".
  static boost::asio::awaitable<std::pair<std::unique_ptr<pg_connection>, std::string>> connect(
      std::string conninfo, std::chrono::milliseconds timeout);
  ~pg_connection();

  // One statement with $1, $2... parameters. A lost connection gives unavailable (and
  // broken() turns true), an SQL error gives failed (logged; last_error() has it).
  template <class... Args>
  boost::asio::awaitable<result<pg_rows>> query(const char* sql, const Args&... args) {
    std::vector<pg_param> params{to_pg_param(args)...};
    return run(sql, std::move(params), false);  // not a coroutine: no temporaries in a co_await
  }
  // Several statements, no parameters (migrations).
  boost::asio::awaitable<result<pg_rows>> script(const char* sql) { return run(sql, {}, true); }

  bool broken() const { return broken_ || PQstatus(conn_) != CONNECTION_OK; }
  // Safe to hand to the next caller: no query running, no transaction open.
  bool reusable() const { return !broken() && !busy_ && PQtransactionStatus(conn_) == PQTRANS_IDLE; }
  const std::string& last_error() const { return last_error_; }
  // Shutdown past its deadline: the query waiting on this connection fails with unavailable.
  void abort();

private:
  explicit pg_connection(PGconn* c) : conn_(c) {}
  boost::asio::awaitable<result<pg_rows>> run(const char* sql, std::vector<pg_param> params, bool simple);
  boost::asio::awaitable<result<pg_rows>> exchange(const char* sql, std::vector<pg_param> params,
                                                   bool simple);
  error_code lost(std::string_view what);

  PGconn* conn_;
  std::optional<boost::asio::posix::stream_descriptor> socket_;  // watches a dup() of PQsocket
  bool broken_ = false;
  bool busy_ = false;  // stays true if a caller's frame is destroyed mid-query
  std::string last_error_;
};

// Ends a transaction begun with "BEGIN": COMMIT when r holds a value, else ROLLBACK.
template <class T>
boost::asio::awaitable<result<T>> commit_or_rollback(pg_connection& c, result<T> r) {
  if (r) {
    auto done = co_await c.query("COMMIT");
    if (!done) co_return detail::failure(done.error());
  } else if (!c.broken()) {
    (void)co_await c.query("ROLLBACK");  // if it fails, the pool drops the connection
  }
  co_return r;
}

}  // namespace ofs::storage
