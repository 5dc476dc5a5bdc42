// sqlite_store: message archives (XEP-0313).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "server/storage/archive_paging.hpp"
#include "server/storage/convert.hpp"
#include "server/storage/sqlite_store.hpp"

namespace ofs::storage {
namespace asio = boost::asio;
namespace {

// One statement per shape, so that SQLite picks the (key, seq) or the (key, with_jid, seq)
// index; a "?x = '' OR" on with_jid would defeat it. {T} is the table (archive, muc_archive),
// {K} its owner's key (account_id, room_id). [shape][descending]; shapes: everyone, a bare JID,
// a full JID.
constexpr const char* page_template[3][2] = {
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq DESC LIMIT ?4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND with_jid = ?5 AND seq BETWEEN ?2 AND ?3 ORDER BY seq LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND with_jid = ?5 AND seq BETWEEN ?2 AND ?3 ORDER BY seq DESC LIMIT ?4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND with_jid = ?5 AND with_resource = ?6 AND seq BETWEEN ?2 AND ?3 ORDER BY seq "
     "LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = ?1 AND with_jid = ?5 AND with_resource = ?6 AND seq BETWEEN ?2 AND ?3 ORDER BY seq "
     "DESC LIMIT ?4"},
};
constexpr const char* count_template[3] = {
    "SELECT count(*) FROM {T} WHERE {K} = ?1 AND seq BETWEEN ?2 AND ?3",
    "SELECT count(*) FROM {T} WHERE {K} = ?1 AND with_jid = ?4 AND seq BETWEEN ?2 AND ?3",
    "SELECT count(*) FROM {T} WHERE {K} = ?1 AND with_jid = ?4 AND with_resource = ?5 "
    "AND seq BETWEEN ?2 AND ?3",
};
constexpr const char* exists_template = "SELECT 1 FROM {T} WHERE {K} = ?1 AND seq = ?2 AND id = ?3";

// The statements of one table; static, so that their addresses key the statement cache.
struct archive_sql {
  std::string page[3][2], count[3], exists;
};
archive_sql make_sql(std::string_view table, std::string_view key) {
  archive_sql s;
  for (int i = 0; i < 3; ++i) {
    for (int d = 0; d < 2; ++d) s.page[i][d] = detail::archive_statement(page_template[i][d], table, key);
    s.count[i] = detail::archive_statement(count_template[i], table, key);
  }
  s.exists = detail::archive_statement(exists_template, table, key);
  return s;
}
const archive_sql& sql_of(bool room) {
  static const archive_sql user = make_sql("archive", "account_id"), muc = make_sql("muc_archive", "room_id");
  return room ? muc : user;
}
int shape_of(const archive_query& q) { return q.with.empty() ? 0 : q.with_resource.empty() ? 1 : 2; }

}  // namespace

result<archive_page> sqlite_store::do_query_archive(const core::jid& owner, const archive_query& q,
                                                    bool room) {
  archive_page page;
  const archive_sql& sql_set = sql_of(room);
  auto id = room ? room_id(owner) : account_id(owner);
  if (!id) return detail::failure(id.error());
  if (!*id) return page;
  for (const auto& [seq, sid] : q.must_exist) {
    auto e = db_->query(sql_set.exists.c_str(), **id, seq, sid);
    if (!e) return detail::failure(e.error());
    if (!e->has_row()) page.missing_ref = true;
  }
  if (page.missing_ref) return page;
  auto count = [&](std::int64_t lo, std::int64_t hi) -> result<std::uint64_t> {
    const char* sql = sql_set.count[shape_of(q)].c_str();
    auto c = shape_of(q) == 0   ? db_->query(sql, **id, lo, hi)
             : shape_of(q) == 1 ? db_->query(sql, **id, lo, hi, q.with)
                                : db_->query(sql, **id, lo, hi, q.with, q.with_resource);
    if (!c) return detail::failure(c.error());
    return static_cast<std::uint64_t>(c->int64(0));
  };
  const auto b = detail::bounds_of(q);
  std::vector<archived_message> rows;
  if (b.lo <= b.hi) {
    const char* sql = sql_set.page[shape_of(q)][q.from_end].c_str();
    auto c = shape_of(q) == 0   ? db_->query(sql, **id, b.lo, b.hi, b.limit)
             : shape_of(q) == 1 ? db_->query(sql, **id, b.lo, b.hi, b.limit, q.with)
                                : db_->query(sql, **id, b.lo, b.hi, b.limit, q.with, q.with_resource);
    if (!c) return detail::failure(c.error());
    for (; c->has_row(); c->next())
      rows.push_back({c->int64(0), c->text(1), c->text(2), c->text(3), c->text(4)});
    if (!c->ok()) return storage_error::failed;
  }
  detail::finish_page(q, std::move(rows), page);
  auto total = count(q.min_seq, q.max_seq);
  if (!total) return detail::failure(total.error());
  page.count = *total;
  return page;
}

task<void> sqlite_store::append_archive(core::jid owner, archived_message m) {
  auto initiation = [this](auto handler, core::jid owner, archived_message m) {
    queue_append({std::move(owner), std::move(m), std::move(handler)});
  };
  const auto token = asio::as_tuple(asio::use_awaitable);
  auto op = asio::async_initiate<decltype(token), void(error_code)>(std::move(initiation), token,
                                                                    owner.bare(), std::move(m));
  auto [ec] = co_await std::move(op);
  if (ec) co_return result<void>(boost::system::in_place_error, ec);
  co_return result<void>();
}

void sqlite_store::queue_append(pending_append p) {
  std::lock_guard lock(appends_mutex_);
  appends_.push_back(std::move(p));
  if (appends_scheduled_) return;
  appends_scheduled_ = true;
  asio::post(thread_, [this] { write_appends(); });
}

void sqlite_store::write_appends() {
  std::vector<pending_append> batch;
  {
    std::lock_guard lock(appends_mutex_);
    batch.swap(appends_);
    appends_scheduled_ = false;
  }
  std::vector<error_code> outcome(batch.size());
  sqlite_transaction tx(*db_);
  auto begun = tx.begin();
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto r = begun ? insert_archived(batch[i].owner, batch[i].m, false) : result<void>(begun.error());
    if (!r) outcome[i] = r.error();
  }
  if (begun)
    if (auto committed = tx.commit(); !committed)
      for (auto& ec : outcome) ec = committed.error();
  // Each caller resumes on its own executor (not this thread: dispatch posts there).
  for (std::size_t i = 0; i < batch.size(); ++i) {
    auto ex = asio::get_associated_executor(batch[i].done, thread_.get_executor());
    asio::dispatch(ex, [done = std::move(batch[i].done), ec = outcome[i]]() mutable { std::move(done)(ec); });
  }
}

result<void> sqlite_store::insert_archived(const core::jid& owner, const archived_message& m, bool room) {
  auto q = room ? db_->query(
                      "INSERT INTO muc_archive (room_id, seq, id, with_jid, with_resource, xml) "
                      "SELECT id, ?3, ?4, ?5, ?6, ?7 FROM muc_rooms WHERE domain = ?1 AND node = ?2",
                      owner.domain(), owner.node(), m.seq, m.id, m.with, m.with_resource, m.xml)
                : db_->query(
                      "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
                      "SELECT id, ?3, ?4, ?5, ?6, ?7 FROM accounts WHERE domain = ?1 AND node = ?2",
                      owner.domain(), owner.node(), m.seq, m.id, m.with, m.with_resource, m.xml);
  if (!q) return detail::failure(q.error());
  if (db_->changes() == 0) return storage_error::no_account;
  return {};
}

task<archive_page> sqlite_store::query_archive(core::jid owner, archive_query q) {
  auto fn = [this, j = owner.bare(), q = std::move(q)] { return do_query_archive(j, q, false); };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::append_muc_archive(core::jid room, std::vector<archived_message> batch) {
  auto fn = [this, j = room.bare(), batch = std::move(batch)]() -> result<void> {
    sqlite_transaction tx(*db_);
    if (auto r = tx.begin(); !r) return detail::failure(r.error());
    for (const auto& m : batch)
      if (auto r = insert_archived(j, m, true); !r) return r;  // rolled back
    if (auto r = tx.commit(); !r) return detail::failure(r.error());
    return {};
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<archive_page> sqlite_store::query_muc_archive(core::jid room, archive_query q) {
  auto fn = [this, j = room.bare(), q = std::move(q)] { return do_query_archive(j, q, true); };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::uint64_t> sqlite_store::expire_archive(std::int64_t before) {
  auto fn = [this, before]() -> result<std::uint64_t> {
    auto q = db_->query("DELETE FROM archive WHERE seq < ?1", before);
    if (!q) return detail::failure(q.error());
    const auto users = static_cast<std::uint64_t>(db_->changes());
    auto r = db_->query("DELETE FROM muc_archive WHERE seq < ?1", before);
    if (!r) return detail::failure(r.error());
    return users + static_cast<std::uint64_t>(db_->changes());
  };
  co_return co_await on_db_thread(std::move(fn));
}

}  // namespace ofs::storage
