// sqlite_store: XCAP documents.
#include "server/storage/convert.hpp"
#include "server/storage/sqlite_store.hpp"

namespace ofs::storage {

task<std::optional<xcap_document>> sqlite_store::get_xcap_document(core::jid owner, std::string auid,
                                                                   std::string name) {
  auto fn = [this, j = owner.bare(), auid = std::move(auid),
             name = std::move(name)]() -> result<std::optional<xcap_document>> {
    auto q = db_->query(
        "SELECT x.body, x.etag FROM xcap_documents x JOIN accounts a ON a.id = x.account_id "
        "WHERE a.domain = ?1 AND a.node = ?2 AND x.auid = ?3 AND x.name = ?4",
        j.domain(), j.node(), auid, name);
    if (!q) return detail::failure(q.error());
    if (!q->has_row()) return std::optional<xcap_document>();
    return std::optional(xcap_document{auid, name, q->text(0), q->text(1)});
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::put_xcap_document(core::jid owner, xcap_document doc) {
  auto fn = [this, j = owner.bare(), d = std::move(doc)]() -> result<void> {
    auto q = db_->query(
        "INSERT INTO xcap_documents (account_id, auid, name, body, etag) SELECT id, ?3, ?4, ?5, ?6 "
        "FROM accounts WHERE domain = ?1 AND node = ?2 ON CONFLICT (account_id, auid, name) "
        "DO UPDATE SET body = excluded.body, etag = excluded.etag",
        j.domain(), j.node(), d.auid, d.name, d.body, d.etag);
    if (!q) return detail::failure(q.error());
    if (db_->changes() == 0) return storage_error::no_account;
    return {};
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<bool> sqlite_store::delete_xcap_document(core::jid owner, std::string auid, std::string name) {
  auto fn = [this, j = owner.bare(), auid = std::move(auid), name = std::move(name)]() -> result<bool> {
    auto q = db_->query(
        "DELETE FROM xcap_documents WHERE account_id = "
        "(SELECT id FROM accounts WHERE domain = ?1 AND node = ?2) AND auid = ?3 AND name = ?4",
        j.domain(), j.node(), auid, name);
    if (!q) return detail::failure(q.error());
    return db_->changes() > 0;
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::vector<xcap_document>> sqlite_store::list_xcap_documents(core::jid owner) {
  auto fn = [this, j = owner.bare()]() -> result<std::vector<xcap_document>> {
    auto q = db_->query(
        "SELECT x.auid, x.name, x.body, x.etag FROM xcap_documents x JOIN accounts a ON a.id = x.account_id "
        "WHERE a.domain = ?1 AND a.node = ?2 ORDER BY x.auid, x.name",
        j.domain(), j.node());
    if (!q) return detail::failure(q.error());
    std::vector<xcap_document> out;
    for (; q->has_row(); q->next()) out.push_back({q->text(0), q->text(1), q->text(2), q->text(3)});
    if (!q->ok()) return storage_error::failed;
    return out;
  };
  co_return co_await on_db_thread(std::move(fn));
}

}  // namespace ofs::storage
