#pragma once
// A thin RAII layer over one sqlite3 connection: cached prepared statements, typed binding,
// transactions. Not thread-safe: sqlite_store uses it from its one database thread only.
// Every failure is logged with SQLite's message and returned as storage_error::failed.
#include <sqlite3.h>

#include <concepts>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "server/storage/store.hpp"

namespace ofs::storage {

struct blob_view {  // binds as BLOB instead of TEXT
  std::string_view bytes;
};

// One execution of a cached statement; resets it (releasing its read snapshot) when destroyed.
class sqlite_cursor {
public:
  explicit sqlite_cursor(sqlite3_stmt* s, bool has_row) : stmt_(s), row_(has_row) {}
  sqlite_cursor(sqlite_cursor&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)), row_(o.row_), failed_(o.failed_) {}
  sqlite_cursor& operator=(sqlite_cursor&&) = delete;
  ~sqlite_cursor() { if (stmt_) sqlite3_reset(stmt_); }

  bool has_row() const { return row_; }
  void next();                          // has_row() is false at the end or on an error,
  bool ok() const { return !failed_; }  // which ok() tells apart (check after the loop)

  std::int64_t int64(int col) const { return sqlite3_column_int64(stmt_, col); }
  bool boolean(int col) const { return int64(col) != 0; }
  bool is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
  std::string text(int col) const;  // TEXT or BLOB bytes

private:
  sqlite3_stmt* stmt_;
  bool row_;
  bool failed_ = false;
};

class sqlite_db {
public:
  // Opens or creates the file; "" on success, else SQLite's message.
  static std::unique_ptr<sqlite_db> open(const std::string& path, std::string& error);
  ~sqlite_db();

  // Runs a script of statements without parameters (pragmas, migrations, BEGIN/COMMIT).
  result<void> exec(std::string_view sql);
  // Prepares `sql` once (cached by address: pass string literals), binds the arguments as
  // ?1, ?2..., steps to the first row. `sql` must be a single statement.
  template <class... Args>
  result<sqlite_cursor> query(const char* sql, const Args&... args);
  std::int64_t changes() const { return sqlite3_changes64(db_); }
  const char* last_error() const { return sqlite3_errmsg(db_); }

private:
  explicit sqlite_db(sqlite3* db) : db_(db) {}
  sqlite3_stmt* prepare(const char* sql);  // nullptr on failure (logged)
  result<sqlite_cursor> step_first(sqlite3_stmt* s, const char* sql);
  bool fail(int rc, std::string_view what);  // logs when rc is an error; true if it was
  int bind(sqlite3_stmt* s, int i, std::string_view v);
  int bind(sqlite3_stmt* s, int i, blob_view v);
  template <std::integral T>
  int bind(sqlite3_stmt* s, int i, T v) {
    if constexpr (std::unsigned_integral<T> && sizeof(T) >= sizeof(std::int64_t))
      if (v > static_cast<T>(INT64_MAX)) v = static_cast<T>(INT64_MAX);  // a quota of "all"
    return sqlite3_bind_int64(s, i, static_cast<std::int64_t>(v));
  }

  sqlite3* db_;
  std::unordered_map<const char*, sqlite3_stmt*> cache_;
};

template <class... Args>
result<sqlite_cursor> sqlite_db::query(const char* sql, const Args&... args) {
  sqlite3_stmt* s = prepare(sql);
  if (!s) return storage_error::failed;
  int i = 0, rc = SQLITE_OK;
  ((rc == SQLITE_OK ? (rc = bind(s, ++i, args)) : rc), ...);
  if (fail(rc, sql)) return storage_error::failed;
  return step_first(s, sql);
}

// BEGIN IMMEDIATE takes the write lock up front, so a second process waits (busy_timeout)
// instead of failing when both upgrade a read to a write. Rolls back unless committed.
class sqlite_transaction {
public:
  explicit sqlite_transaction(sqlite_db& db) : db_(db) {}
  ~sqlite_transaction() { if (open_) (void)db_.exec("ROLLBACK"); }
  result<void> begin();
  result<void> commit();

private:
  sqlite_db& db_;
  bool open_ = false;
};

}  // namespace ofs::storage
