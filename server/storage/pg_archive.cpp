// pg_store: message archives (XEP-0313).
#include "server/storage/archive_paging.hpp"
#include "server/storage/pg_store.hpp"

namespace ofs::storage {
namespace {

constexpr const char* account_of = "SELECT id FROM accounts WHERE domain = $1 AND node = $2";
// One statement per shape, so that the planner sees which index fits.
// [shape][descending]; shapes: everyone, a bare JID, a full JID. Each its own statement, so that
// the (account_id, seq) or (account_id, with_jid, seq) index covers it without residual tests.
constexpr const char* page_sql[3][2] = {
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND seq BETWEEN $2 AND $3 ORDER BY seq DESC LIMIT $4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND with_jid = $5 AND seq BETWEEN $2 AND $3 ORDER BY seq LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND with_jid = $5 AND seq BETWEEN $2 AND $3 ORDER BY seq DESC LIMIT $4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND with_jid = $5 AND with_resource = $6 AND seq BETWEEN $2 AND $3 ORDER BY seq "
     "LIMIT $4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = $1 AND with_jid = $5 AND with_resource = $6 AND seq BETWEEN $2 AND $3 ORDER BY seq "
     "DESC LIMIT $4"},
};
constexpr const char* count_sql[3] = {
    "SELECT count(*) FROM archive WHERE account_id = $1 AND seq BETWEEN $2 AND $3",
    "SELECT count(*) FROM archive WHERE account_id = $1 AND with_jid = $4 AND seq BETWEEN $2 AND $3",
    "SELECT count(*) FROM archive WHERE account_id = $1 AND with_jid = $4 AND with_resource = $5 "
    "AND seq BETWEEN $2 AND $3",
};
int shape_of(const archive_query& q) { return q.with.empty() ? 0 : q.with_resource.empty() ? 1 : 2; }

task<void> append_in(pg_connection& c, core::jid owner, archived_message m) {
  auto q = co_await c.query(
      "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
      "SELECT id, $3, $4, $5, $6, $7 FROM accounts WHERE domain = $1 AND node = $2",
      owner.domain(), owner.node(), m.seq, m.id, m.with, m.with_resource, m.xml);
  if (!q) co_return detail::failure(q.error());
  if (q->affected() == 0) co_return storage_error::no_account;
  co_return result<void>();
}

task<std::uint64_t> count_in(pg_connection& c, std::int64_t id, const archive_query& q, std::int64_t lo,
                             std::int64_t hi) {
  // GCC 12: no co_await inside a conditional expression; one statement per branch.
  result<pg_rows> r = storage_error::failed;
  const char* sql = count_sql[shape_of(q)];
  if (shape_of(q) == 0)
    r = co_await c.query(sql, id, lo, hi);
  else if (shape_of(q) == 1)
    r = co_await c.query(sql, id, lo, hi, q.with);
  else
    r = co_await c.query(sql, id, lo, hi, q.with, q.with_resource);
  if (!r) co_return detail::failure(r.error());
  co_return static_cast<std::uint64_t>(r->int64(0, 0));
}

task<archive_page> query_in(pg_connection& c, core::jid owner, archive_query q) {
  archive_page page;
  auto a = co_await c.query(account_of, owner.domain(), owner.node());
  if (!a) co_return detail::failure(a.error());
  if (a->size() == 0) co_return page;
  const auto id = a->int64(0, 0);
  for (const auto& [seq, sid] : q.must_exist) {
    auto e = co_await c.query("SELECT 1 FROM archive WHERE account_id = $1 AND seq = $2 AND id = $3", id, seq,
                              sid);
    if (!e) co_return detail::failure(e.error());
    if (e->size() == 0) page.missing_ref = true;
  }
  if (page.missing_ref) co_return page;
  const auto b = detail::bounds_of(q);
  std::vector<archived_message> rows;
  if (b.lo <= b.hi) {
    const char* sql = page_sql[shape_of(q)][q.from_end];
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
  auto total = co_await count_in(c, id, q, q.min_seq, q.max_seq);
  if (!total) co_return detail::failure(total.error());
  page.count = *total;
  co_return page;
}

task<std::uint64_t> expire_in(pg_connection& c, std::int64_t before) {
  auto q = co_await c.query("DELETE FROM archive WHERE seq < $1", before);
  if (!q) co_return detail::failure(q.error());
  co_return static_cast<std::uint64_t>(q->affected());
}

}  // namespace

task<void> pg_store::append_archive(core::jid owner, archived_message m) {
  auto work = with_connection(&append_in, owner.bare(), std::move(m));
  co_return co_await on_io_thread(std::move(work));
}

task<archive_page> pg_store::query_archive(core::jid owner, archive_query q) {
  auto work = with_connection(&query_in, owner.bare(), std::move(q));
  co_return co_await on_io_thread(std::move(work));
}

task<std::uint64_t> pg_store::expire_archive(std::int64_t before) {
  auto work = with_connection(&expire_in, std::int64_t{before});
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
