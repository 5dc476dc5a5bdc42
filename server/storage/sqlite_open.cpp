// sqlite_store: opening the file and migrating its schema.
#include <fmt/format.h>

#include "schema/migrations.hpp"
#include "server/storage/convert.hpp"
#include "server/storage/sqlite_store.hpp"

namespace ofs::storage {
namespace asio = boost::asio;

asio::awaitable<opened_store> sqlite_store::open(std::string path) {
  std::unique_ptr<sqlite_store> s(new sqlite_store());
  auto fn = [st = s.get(), path] {
    std::string error;
    st->db_ = sqlite_db::open(path, error);
    if (!st->db_) {
      error = fmt::format("cannot open database {}: {}", path, error);
      return std::pair(make_error_code(storage_error::unavailable), error);
    }
    auto ec = st->migrate(path, error);
    return std::pair(ec, error);
  };
  auto [ec, error] = co_await s->on_db_thread(std::move(fn));
  opened_store out;
  if (ec) {
    out.code = ec;
    out.error = std::move(error);
  } else {
    out.db = std::move(s);
  }
  co_return out;
}

sqlite_store::~sqlite_store() { thread_.join(); }

error_code sqlite_store::migrate(const std::string& path, std::string& error) {
  auto cannot = [&](storage_error e, std::string_view what) {
    error = fmt::format("{} {}: {}", what, path, db_->last_error());
    return make_error_code(e);
  };
  auto version = [&]() -> result<std::int64_t> {
    auto q = db_->query("SELECT coalesce(max(version), 0) FROM schema_version");
    if (!q) return detail::failure(q.error());
    return q->int64(0);
  };
  if (!db_->exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
                 "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))"))
    return cannot(storage_error::unavailable, "cannot open database");
  auto migrations = schema::sqlite_migrations();
  const std::int64_t latest = migrations.back().version;
  auto current = version();
  if (!current) return cannot(storage_error::unavailable, "cannot read schema version of");
  for (const auto& m : migrations) {
    if (*current >= m.version) continue;
    sqlite_transaction tx(*db_);  // another process may be migrating too: re-read inside
    if (!tx.begin()) return cannot(storage_error::unavailable, "cannot open database");
    if (current = version(); !current) return cannot(storage_error::unavailable, "cannot read schema version of");
    if (*current >= m.version) continue;
    bool applied = db_->exec(m.sql).has_value();
    applied = applied && db_->query("INSERT INTO schema_version (version) VALUES (?1)", m.version).has_value();
    applied = applied && tx.commit().has_value();
    if (!applied)
      return cannot(storage_error::bad_schema, fmt::format("cannot apply migration {:04}_{} to", m.version, m.name));
    *current = m.version;
  }
  if (*current > latest) {
    error = fmt::format("database {} has schema version {}, newer than this program's {}", path, *current, latest);
    return make_error_code(storage_error::bad_schema);
  }
  return {};
}

}  // namespace ofs::storage
