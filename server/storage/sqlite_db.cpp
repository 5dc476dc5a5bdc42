#include "server/storage/sqlite_db.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

namespace ofs::storage {
using namespace std::chrono_literals;

std::string sqlite_cursor::text(int col) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))) : std::string();
}

void sqlite_cursor::next() {
  int rc = sqlite3_step(stmt_);
  row_ = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW || rc == SQLITE_DONE) return;
  failed_ = true;
  spdlog::error("sqlite: {}", sqlite3_errmsg(sqlite3_db_handle(stmt_)));
}

std::unique_ptr<sqlite_db> sqlite_db::open(const std::string& path, std::string& error) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the connection lives on one thread; EXRESCODE: finer codes in the log.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  if (rc != SQLITE_OK) {
    error = raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close(raw);
    return nullptr;
  }
  std::unique_ptr<sqlite_db> db(new sqlite_db(raw));
  // ofsd and ofsctl share the file: wait for the other's write lock instead of failing.
  sqlite3_busy_timeout(raw, 5000);
  // WAL: readers and the writer do not block each other. Switching a new file to WAL
  // upgrades a read lock, where SQLite skips the busy handler: when another process opens
  // the file at the same moment we get SQLITE_BUSY at once, so wait here instead.
  for (auto waited = 0ms; waited < 5s; waited += 10ms) {
    rc = sqlite3_exec(raw, "PRAGMA journal_mode = WAL", nullptr, nullptr, nullptr);
    if ((rc & 0xff) != SQLITE_BUSY) break;
    std::this_thread::sleep_for(10ms);
  }
  // NORMAL survives a process crash (only a power loss may drop the last commits).
  if (rc == SQLITE_OK)
    rc = sqlite3_exec(raw, "PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    error = sqlite3_errmsg(raw);
    return nullptr;
  }
  error.clear();
  return db;
}

sqlite_db::~sqlite_db() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

bool sqlite_db::fail(int rc, std::string_view what) {
  if (rc == SQLITE_OK || rc == SQLITE_ROW || rc == SQLITE_DONE) return false;
  auto line = what.substr(0, what.find('\n'));
  spdlog::error("sqlite: {} (in \"{}\")", sqlite3_errmsg(db_), line.substr(0, 80));
  return true;
}

result<void> sqlite_db::exec(std::string_view sql) {
  std::string text(sql);  // sqlite3_exec wants a terminated string
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (fail(rc, sql)) return storage_error::failed;
  return {};
}

sqlite3_stmt* sqlite_db::prepare(const char* sql) {
  if (auto it = cache_.find(sql); it != cache_.end()) return it->second;
  sqlite3_stmt* s = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
  if (fail(rc, sql)) return nullptr;
  cache_.emplace(sql, s);
  return s;
}

result<sqlite_cursor> sqlite_db::step_first(sqlite3_stmt* s, const char* sql) {
  int rc = sqlite3_step(s);
  if (fail(rc, sql)) {
    sqlite3_reset(s);
    return storage_error::failed;
  }
  return sqlite_cursor(s, rc == SQLITE_ROW);
}

int sqlite_db::bind(sqlite3_stmt* s, int i, std::string_view v) {
  // A null pointer would bind NULL, not an empty string.
  return sqlite3_bind_text64(s, i, v.data() ? v.data() : "", v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
}

int sqlite_db::bind(sqlite3_stmt* s, int i, blob_view v) {
  return sqlite3_bind_blob64(s, i, v.bytes.data() ? v.bytes.data() : "", v.bytes.size(), SQLITE_TRANSIENT);
}

result<void> sqlite_transaction::begin() {
  auto r = db_.exec("BEGIN IMMEDIATE");
  open_ = r.has_value();
  return r;
}

result<void> sqlite_transaction::commit() {
  auto r = db_.exec("COMMIT");
  if (r) open_ = false;  // else the destructor rolls back
  return r;
}

}  // namespace ofs::storage
