// pg_store: message archives (XEP-0313).
#include "server/storage/archive_paging.hpp"
#include "server/storage/pg_store.hpp"

namespace ofs::storage {
namespace {

constexpr const char* account_of = "SELECT id FROM accounts WHERE domain = $1 AND node = $2";
// One statement per shape, so that the planner sees which index fits. {T} is the table
// (archive, muc_archive), {K} its owner's key (account_id, room_id). [shape][descending];
// shapes: everyone, a bare JID, a full JID.
constexpr const char* page_template[3][2] = {
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq DESC LIMIT $4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND with_jid = $5 AND seq BETWEEN $2 AND $3 ORDER BY seq LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND with_jid = $5 AND seq BETWEEN $2 AND $3 ORDER BY seq DESC LIMIT $4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND with_jid = $5 AND with_resource = $6 AND seq BETWEEN $2 AND $3 ORDER BY seq "
     "LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM {T} "
     "WHERE {K} = $1 AND with_jid = $5 AND with_resource = $6 AND seq BETWEEN $2 AND $3 ORDER BY seq "
     "DESC LIMIT $4"},
};
constexpr const char* count_template[3] = {
    "SELECT count(*) FROM {T} WHERE {K} = $1 AND seq BETWEEN $2 AND $3",
    "SELECT count(*) FROM {T} WHERE {K} = $1 AND with_jid = $4 AND seq BETWEEN $2 AND $3",
    "SELECT count(*) FROM {T} WHERE {K} = $1 AND with_jid = $4 AND with_resource = $5 "
    "AND seq BETWEEN $2 AND $3",
};
struct archive_sql {
  std::string owner, exists, page[3][2], count[3];
};
archive_sql make_sql(std::string_view table, std::string_view key, std::string_view owners) {
  archive_sql s;
  s.owner = "SELECT id FROM " + std::string(owners) + " WHERE domain = $1 AND node = $2";
  s.exists =
      detail::archive_statement("SELECT 1 FROM {T} WHERE {K} = $1 AND seq = $2 AND id = $3", table, key);
  for (int i = 0; i < 3; ++i) {
    for (int d = 0; d < 2; ++d) s.page[i][d] = detail::archive_statement(page_template[i][d], table, key);
    s.count[i] = detail::archive_statement(count_template[i], table, key);
  }
  return s;
}
const archive_sql& sql_of(bool room) {
  static const archive_sql user = make_sql("archive", "account_id", "accounts"),
                           muc = make_sql("muc_archive", "room_id", "muc_rooms");
  return room ? muc : user;
}
int shape_of(const archive_query& q) { return q.with.empty() ? 0 : q.with_resource.empty() ? 1 : 2; }

task<void> append_in(pg_connection& c, core::jid owner, archived_message m, bool room) {
  const char* sql = room ? "INSERT INTO muc_archive (room_id, seq, id, with_jid, with_resource, xml) "
                           "SELECT id, $3, $4, $5, $6, $7 FROM muc_rooms WHERE domain = $1 AND node = $2"
                         : "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
                           "SELECT id, $3, $4, $5, $6, $7 FROM accounts WHERE domain = $1 AND node = $2";
  auto q = co_await c.query(sql, owner.domain(), owner.node(), m.seq, m.id, m.with, m.with_resource, m.xml);
  if (!q) co_return detail::failure(q.error());
  if (q->affected() == 0) co_return storage_error::no_account;
  co_return result<void>();
}

task<void> append_batch_in(pg_connection& c, core::jid room, std::vector<archived_message> batch) {
  for (auto& m : batch) {
    auto one = append_in(c, room, std::move(m), true);  // named: GCC 12
    if (auto done = co_await std::move(one); !done) co_return done;
  }
  co_return result<void>();
}

task<std::uint64_t> count_in(pg_connection& c, std::int64_t id, const archive_query& q, std::int64_t lo,
                             std::int64_t hi, const archive_sql& sql_set) {
  // GCC 12: no co_await inside a conditional expression; one statement per branch.
  result<pg_rows> r = storage_error::failed;
  const char* sql = sql_set.count[shape_of(q)].c_str();
  if (shape_of(q) == 0)
    r = co_await c.query(sql, id, lo, hi);
  else if (shape_of(q) == 1)
    r = co_await c.query(sql, id, lo, hi, q.with);
  else
    r = co_await c.query(sql, id, lo, hi, q.with, q.with_resource);
  if (!r) co_return detail::failure(r.error());
  co_return static_cast<std::uint64_t>(r->int64(0, 0));
}

task<archive_page> query_in(pg_connection& c, core::jid owner, archive_query q, bool room) {
  archive_page page;
  const archive_sql& sql_set = sql_of(room);
  auto a = co_await c.query(sql_set.owner.c_str(), owner.domain(), owner.node());
  if (!a) co_return detail::failure(a.error());
  if (a->size() == 0) co_return page;
  const auto id = a->int64(0, 0);
  for (const auto& [seq, sid] : q.must_exist) {
    auto e = co_await c.query(sql_set.exists.c_str(), id, seq, sid);
    if (!e) co_return detail::failure(e.error());
    if (e->size() == 0) page.missing_ref = true;
  }
  if (page.missing_ref) co_return page;
  const auto b = detail::bounds_of(q);
  std::vector<archived_message> rows;
  if (b.lo <= b.hi) {
    const char* sql = sql_set.page[shape_of(q)][q.from_end].c_str();
    result<pg_rows> r = storage_error::failed;
    if (shape_of(q) == 0)
      r = co_await c.query(sql, id, b.lo, b.hi, b.limit);
    else if (shape_of(q) == 1)
      r = co_await c.query(sql, id, b.lo, b.hi, b.limit, q.with);
    else
      r = co_await c.query(sql, id, b.lo, b.hi, b.limit, q.with, q.with_resource);
    if (!r) co_return detail::failure(r.error());
    for (int i = 0; i < r->size(); ++i)
      rows.push_back({r->int64(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3), r->text(i, 4)});
  }
  detail::finish_page(q, std::move(rows), page);
  auto total = co_await count_in(c, id, q, q.min_seq, q.max_seq, sql_set);
  if (!total) co_return detail::failure(total.error());
  page.count = *total;
  co_return page;
}

task<std::uint64_t> expire_in(pg_connection& c, std::int64_t before) {
  auto q = co_await c.query("DELETE FROM archive WHERE seq < $1", before);
  if (!q) co_return detail::failure(q.error());
  auto r = co_await c.query("DELETE FROM muc_archive WHERE seq < $1", before);
  if (!r) co_return detail::failure(r.error());
  co_return static_cast<std::uint64_t>(q->affected() + r->affected());
}

}  // namespace

task<void> pg_store::append_archive(core::jid owner, archived_message m) {
  auto work = with_connection(&append_in, owner.bare(), std::move(m), false);
  co_return co_await on_io_thread(std::move(work));
}

task<archive_page> pg_store::query_archive(core::jid owner, archive_query q) {
  auto work = with_connection(&query_in, owner.bare(), std::move(q), false);
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::append_muc_archive(core::jid room, std::vector<archived_message> batch) {
  auto work = in_transaction(&append_batch_in, room.bare(), std::move(batch));
  co_return co_await on_io_thread(std::move(work));
}

task<archive_page> pg_store::query_muc_archive(core::jid room, archive_query q) {
  auto work = with_connection(&query_in, room.bare(), std::move(q), true);
  co_return co_await on_io_thread(std::move(work));
}

task<std::uint64_t> pg_store::expire_archive(std::int64_t before) {
  auto work = with_connection(&expire_in, std::int64_t{before});
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
