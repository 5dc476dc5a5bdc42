// pg_store: XCAP documents.
#include "server/storage/convert.hpp"
#include "server/storage/pg_store.hpp"

namespace ofs::storage {
namespace {

task<std::optional<xcap_document>> get_in(pg_connection& c, core::jid owner, std::string auid,
                                          std::string name) {
  auto q = co_await c.query(
      "SELECT x.body, x.etag FROM xcap_documents x JOIN accounts a ON a.id = x.account_id "
      "WHERE a.domain = $1 AND a.node = $2 AND x.auid = $3 AND x.name = $4",
      owner.domain(), owner.node(), auid, name);
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return std::optional<xcap_document>();
  co_return std::optional(xcap_document{auid, name, q->text(0, 0), q->text(0, 1)});
}

task<void> put_in(pg_connection& c, core::jid owner, xcap_document d) {
  auto q = co_await c.query(
      "INSERT INTO xcap_documents (account_id, auid, name, body, etag) SELECT id, $3, $4, $5, $6 "
      "FROM accounts WHERE domain = $1 AND node = $2 ON CONFLICT (account_id, auid, name) "
      "DO UPDATE SET body = excluded.body, etag = excluded.etag",
      owner.domain(), owner.node(), d.auid, d.name, d.body, d.etag);
  if (!q) co_return detail::failure(q.error());
  if (q->affected() == 0) co_return storage_error::no_account;
  co_return result<void>();
}

task<bool> delete_in(pg_connection& c, core::jid owner, std::string auid, std::string name) {
  auto q = co_await c.query(
      "DELETE FROM xcap_documents WHERE account_id = "
      "(SELECT id FROM accounts WHERE domain = $1 AND node = $2) AND auid = $3 AND name = $4",
      owner.domain(), owner.node(), auid, name);
  if (!q) co_return detail::failure(q.error());
  co_return q->affected() > 0;
}

task<std::vector<xcap_document>> list_in(pg_connection& c, core::jid owner) {
  auto q = co_await c.query(
      "SELECT x.auid, x.name, x.body, x.etag FROM xcap_documents x JOIN accounts a ON a.id = x.account_id "
      "WHERE a.domain = $1 AND a.node = $2 ORDER BY x.auid, x.name",
      owner.domain(), owner.node());
  if (!q) co_return detail::failure(q.error());
  std::vector<xcap_document> out;
  for (int r = 0; r < q->size(); ++r)
    out.push_back({q->text(r, 0), q->text(r, 1), q->text(r, 2), q->text(r, 3)});
  co_return out;
}

}  // namespace

task<std::optional<xcap_document>> pg_store::get_xcap_document(core::jid owner, std::string auid,
                                                               std::string name) {
  auto work = with_connection(&get_in, owner.bare(), std::move(auid), std::move(name));
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::put_xcap_document(core::jid owner, xcap_document doc) {
  auto work = with_connection(&put_in, owner.bare(), std::move(doc));
  co_return co_await on_io_thread(std::move(work));
}

task<bool> pg_store::delete_xcap_document(core::jid owner, std::string auid, std::string name) {
  auto work = with_connection(&delete_in, owner.bare(), std::move(auid), std::move(name));
  co_return co_await on_io_thread(std::move(work));
}

task<std::vector<xcap_document>> pg_store::list_xcap_documents(core::jid owner) {
  auto work = with_connection(&list_in, owner.bare());
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
