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

// One statement per shape, so that SQLite picks the (account_id, seq) or the
// (account_id, with_jid, seq) index; a "?x = '' OR" on with_jid would defeat it.
// [shape][descending]; shapes: everyone, a bare JID, a full JID. Each its own statement, so that
// the (account_id, seq) or (account_id, with_jid, seq) index covers it without residual tests.
constexpr const char* page_sql[3][2] = {
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND seq BETWEEN ?2 AND ?3 ORDER BY seq DESC LIMIT ?4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND with_jid = ?5 AND seq BETWEEN ?2 AND ?3 ORDER BY seq LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND with_jid = ?5 AND seq BETWEEN ?2 AND ?3 ORDER BY seq DESC LIMIT ?4"},
    {"SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND with_jid = ?5 AND with_resource = ?6 AND seq BETWEEN ?2 AND ?3 ORDER BY seq "
     "LIMIT ?4",
     "SELECT seq, id, with_jid, with_resource, xml FROM archive "
     "WHERE account_id = ?1 AND with_jid = ?5 AND with_resource = ?6 AND seq BETWEEN ?2 AND ?3 ORDER BY seq "
     "DESC LIMIT ?4"},
};
constexpr const char* count_sql[3] = {
    "SELECT count(*) FROM archive WHERE account_id = ?1 AND seq BETWEEN ?2 AND ?3",
    "SELECT count(*) FROM archive WHERE account_id = ?1 AND with_jid = ?4 AND seq BETWEEN ?2 AND ?3",
    "SELECT count(*) FROM archive WHERE account_id = ?1 AND with_jid = ?4 AND with_resource = ?5 "
    "AND seq BETWEEN ?2 AND ?3",
};
int shape_of(const archive_query& q) { return q.with.empty() ? 0 : q.with_resource.empty() ? 1 : 2; }

}  // namespace

result<archive_page> sqlite_store::do_query_archive(const core::jid& owner, const archive_query& q) {
  archive_page page;
  auto id = account_id(owner);
  if (!id) return detail::failure(id.error());
  if (!*id) return page;
  for (const auto& [seq, sid] : q.must_exist) {
    auto e =
        db_->query("SELECT 1 FROM archive WHERE account_id = ?1 AND seq = ?2 AND id = ?3", **id, seq, sid);
    if (!e) return detail::failure(e.error());
    if (!e->has_row()) page.missing_ref = true;
  }
  if (page.missing_ref) return page;
  auto count = [&](std::int64_t lo, std::int64_t hi) -> result<std::uint64_t> {
    const char* sql = count_sql[shape_of(q)];
    auto c = shape_of(q) == 0   ? db_->query(sql, **id, lo, hi)
             : shape_of(q) == 1 ? db_->query(sql, **id, lo, hi, q.with)
                                : db_->query(sql, **id, lo, hi, q.with, q.with_resource);
    if (!c) return detail::failure(c.error());
    return static_cast<std::uint64_t>(c->int64(0));
  };
  const auto b = detail::bounds_of(q);
  std::vector<archived_message> rows;
  if (b.lo <= b.hi) {
    const char* sql = page_sql[shape_of(q)][q.from_end];
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
    auto r = begun ? insert_archived(batch[i].owner, batch[i].m) : result<void>(begun.error());
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

result<void> sqlite_store::insert_archived(const core::jid& owner, const archived_message& m) {
  auto q = db_->query(
      "INSERT INTO archive (account_id, seq, id, with_jid, with_resource, xml) "
      "SELECT id, ?3, ?4, ?5, ?6, ?7 FROM accounts WHERE domain = ?1 AND node = ?2",
      owner.domain(), owner.node(), m.seq, m.id, m.with, m.with_resource, m.xml);
  if (!q) return detail::failure(q.error());
  if (db_->changes() == 0) return storage_error::no_account;
  return {};
}

task<archive_page> sqlite_store::query_archive(core::jid owner, archive_query q) {
  auto fn = [this, j = owner.bare(), q = std::move(q)] { return do_query_archive(j, q); };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::uint64_t> sqlite_store::expire_archive(std::int64_t before) {
  auto fn = [this, before]() -> result<std::uint64_t> {
    auto q = db_->query("DELETE FROM archive WHERE seq < ?1", before);
    if (!q) return detail::failure(q.error());
    return static_cast<std::uint64_t>(db_->changes());
  };
  co_return co_await on_db_thread(std::move(fn));
}

}  // namespace ofs::storage
