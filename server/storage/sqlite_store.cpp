#include "server/storage/sqlite_store.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "server/storage/convert.hpp"

namespace ofs::storage {
using creds_t = std::vector<auth::scram_credentials>;

result<std::optional<std::int64_t>> sqlite_store::account_id(const core::jid& j) {
  auto q = db_->query("SELECT id FROM accounts WHERE domain = ?1 AND node = ?2", j.domain(), j.node());
  if (!q) return detail::failure(q.error());
  return q->has_row() ? std::optional(q->int64(0)) : std::nullopt;
}

result<void> sqlite_store::insert_credentials(std::int64_t id, const creds_t& creds) {
  for (const auto& c : detail::unique_credentials(creds)) {
    auto q = db_->query(
        "INSERT INTO scram_credentials (account_id, mechanism, salt, iterations, stored_key, server_key) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        id, detail::to_text(c.hash), blob_view{c.salt}, c.iterations, blob_view{c.stored_key},
        blob_view{c.server_key});
    if (!q) return detail::failure(q.error());
  }
  return {};
}

result<bool> sqlite_store::do_create(const core::jid& j, const creds_t& creds) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  std::int64_t id;
  {
    auto q = db_->query("INSERT INTO accounts (node, domain) VALUES (?1, ?2) ON CONFLICT DO NOTHING RETURNING id",
                        j.node(), j.domain());
    if (!q) return detail::failure(q.error());
    if (!q->has_row()) return false;
    id = q->int64(0);
  }
  if (auto r = insert_credentials(id, creds); !r) return detail::failure(r.error());
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return true;
}

result<bool> sqlite_store::do_set_credentials(const core::jid& j, const creds_t& creds) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  auto id = account_id(j);
  if (!id) return detail::failure(id.error());
  if (!*id) return false;
  if (auto q = db_->query("DELETE FROM scram_credentials WHERE account_id = ?1", **id); !q) return detail::failure(q.error());
  if (auto r = insert_credentials(**id, creds); !r) return detail::failure(r.error());
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return true;
}

result<std::optional<creds_t>> sqlite_store::do_get_credentials(const core::jid& j) {
  auto q = db_->query(
      "SELECT c.mechanism, c.salt, c.iterations, c.stored_key, c.server_key FROM accounts a "
      "LEFT JOIN scram_credentials c ON c.account_id = a.id WHERE a.domain = ?1 AND a.node = ?2 "
      "ORDER BY c.mechanism",
      j.domain(), j.node());
  if (!q) return detail::failure(q.error());
  if (!q->has_row()) return std::optional<creds_t>();
  creds_t out;
  for (; q->has_row(); q->next()) {
    auto hash = detail::hash_from_text(q->text(0));
    if (!hash) continue;  // the account has no credentials (NULL from the join)
    auth::scram_credentials c;
    c.hash = *hash;
    c.salt = q->text(1);
    c.iterations = static_cast<std::uint32_t>(q->int64(2));
    c.stored_key = q->text(3);
    c.server_key = q->text(4);
    out.push_back(std::move(c));
  }
  if (!q->ok()) return storage_error::failed;
  return std::optional(std::move(out));
}

result<std::vector<core::jid>> sqlite_store::do_list(const std::string& domain) {
  auto q = db_->query("SELECT node, domain FROM accounts WHERE ?1 = '' OR domain = ?1 ORDER BY domain, node", domain);
  if (!q) return detail::failure(q.error());
  std::vector<core::jid> out;
  for (; q->has_row(); q->next()) {
    if (auto j = core::jid::from_parts(q->text(0), q->text(1)))
      out.push_back(std::move(*j));
    else
      spdlog::warn("sqlite: skipping account with an invalid address {}@{}", q->text(0), q->text(1));
  }
  if (!q->ok()) return storage_error::failed;
  return out;
}

result<roster> sqlite_store::do_load_roster(const core::jid& owner) {
  // One statement, so one consistent snapshot of version, items and groups.
  auto q = db_->query(
      "SELECT a.roster_version, i.contact, i.name, i.subscription, i.ask_out, i.pending_in, i.approved, "
      "g.name FROM accounts a LEFT JOIN roster_items i ON i.account_id = a.id "
      "LEFT JOIN roster_groups g ON g.account_id = i.account_id AND g.contact = i.contact "
      "WHERE a.domain = ?1 AND a.node = ?2 ORDER BY i.contact, g.position",
      owner.domain(), owner.node());
  if (!q) return detail::failure(q.error());
  roster out;
  std::string last;
  bool skip = false;
  for (; q->has_row(); q->next()) {
    out.version = static_cast<std::uint64_t>(q->int64(0));
    if (q->is_null(1)) continue;  // no items
    if (auto contact = q->text(1); out.items.empty() || contact != last) {
      auto j = core::jid::parse(contact);
      skip = !j;
      if (skip) spdlog::warn("sqlite: skipping roster item with an invalid address {}", contact);
      last = std::move(contact);
      if (skip) continue;
      roster_item item;
      item.contact = std::move(*j);
      item.name = q->text(2);
      item.sub = detail::subscription_from_text(q->text(3));
      item.ask_out = q->boolean(4);
      item.pending_in = q->boolean(5);
      item.approved = q->boolean(6);
      out.items.push_back(std::move(item));
    }
    if (!skip && !q->is_null(7)) out.items.back().groups.push_back(q->text(7));
  }
  if (!q->ok()) return storage_error::failed;
  return out;
}

result<std::uint64_t> sqlite_store::do_put_item(const core::jid& owner, const roster_item& item) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  auto id = account_id(owner);
  if (!id) return detail::failure(id.error());
  if (!*id) return storage_error::no_account;
  const auto& contact = item.contact.str();
  auto put = db_->query(
      "INSERT INTO roster_items (account_id, contact, name, subscription, ask_out, pending_in, approved) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (account_id, contact) DO UPDATE SET "
      "name = excluded.name, subscription = excluded.subscription, ask_out = excluded.ask_out, "
      "pending_in = excluded.pending_in, approved = excluded.approved",
      **id, contact, item.name, detail::to_text(item.sub), item.ask_out, item.pending_in, item.approved);
  if (!put) return detail::failure(put.error());
  auto clear = db_->query("DELETE FROM roster_groups WHERE account_id = ?1 AND contact = ?2", **id, contact);
  if (!clear) return detail::failure(clear.error());
  int position = 0;
  for (const auto& g : item.groups) {
    auto q = db_->query("INSERT INTO roster_groups (account_id, contact, position, name) VALUES (?1, ?2, ?3, ?4)",
                        **id, contact, position++, g);
    if (!q) return detail::failure(q.error());
  }
  std::uint64_t version;
  {
    auto q = db_->query("UPDATE accounts SET roster_version = roster_version + 1 WHERE id = ?1 RETURNING roster_version",
                        **id);
    if (!q) return detail::failure(q.error());
    version = static_cast<std::uint64_t>(q->int64(0));
  }
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return version;
}

result<std::uint64_t> sqlite_store::do_remove_item(const core::jid& owner, const core::jid& contact) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  std::int64_t id;
  std::uint64_t version;
  {
    auto q = db_->query("SELECT id, roster_version FROM accounts WHERE domain = ?1 AND node = ?2",
                        owner.domain(), owner.node());
    if (!q) return detail::failure(q.error());
    if (!q->has_row()) return std::uint64_t{0};
    id = q->int64(0);
    version = static_cast<std::uint64_t>(q->int64(1));
  }
  auto del = db_->query("DELETE FROM roster_items WHERE account_id = ?1 AND contact = ?2", id, contact.str());
  if (!del) return detail::failure(del.error());
  if (db_->changes() == 0) return version;  // nothing changed, nothing to commit
  auto bump = db_->query("UPDATE accounts SET roster_version = roster_version + 1 WHERE id = ?1", id);
  if (!bump) return detail::failure(bump.error());
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return version + 1;
}

result<bool> sqlite_store::do_store_offline(const core::jid& owner, const std::string& xml, std::size_t quota) {
  sqlite_transaction tx(*db_);  // the count and the insert see the same messages
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  auto id = account_id(owner);
  if (!id) return detail::failure(id.error());
  if (!*id) return storage_error::no_account;
  auto q = db_->query(
      "INSERT INTO offline_messages (account_id, xml) SELECT ?1, ?2 "
      "WHERE (SELECT count(*) FROM offline_messages WHERE account_id = ?1) < ?3",
      **id, xml, quota);
  if (!q) return detail::failure(q.error());
  bool stored = db_->changes() > 0;
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return stored;
}

result<std::vector<offline_message>> sqlite_store::do_load_offline(const core::jid& owner) {
  auto q = db_->query(
      "SELECT o.id, o.xml FROM offline_messages o JOIN accounts a ON a.id = o.account_id "
      "WHERE a.domain = ?1 AND a.node = ?2 ORDER BY o.id",
      owner.domain(), owner.node());
  if (!q) return detail::failure(q.error());
  std::vector<offline_message> out;
  for (; q->has_row(); q->next()) out.push_back({q->int64(0), q->text(1)});
  if (!q->ok()) return storage_error::failed;
  return out;
}

// The public methods: name the work (GCC 12), hop, resume on the caller's executor.

task<bool> sqlite_store::create_account(core::jid account, creds_t creds) {
  auto fn = [this, j = account.bare(), c = std::move(creds)] { return do_create(j, c); };
  co_return co_await on_db_thread(std::move(fn));
}

task<bool> sqlite_store::set_credentials(core::jid account, creds_t creds) {
  auto fn = [this, j = account.bare(), c = std::move(creds)] { return do_set_credentials(j, c); };
  co_return co_await on_db_thread(std::move(fn));
}

task<bool> sqlite_store::remove_account(core::jid account) {
  auto fn = [this, j = account.bare()]() -> result<bool> {
    auto q = db_->query("DELETE FROM accounts WHERE domain = ?1 AND node = ?2", j.domain(), j.node());
    if (!q) return detail::failure(q.error());
    return db_->changes() > 0;  // ON DELETE CASCADE removes the rest
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::optional<creds_t>> sqlite_store::get_credentials(core::jid account) {
  auto fn = [this, j = account.bare()] { return do_get_credentials(j); };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::vector<core::jid>> sqlite_store::list_accounts(std::string domain) {
  auto fn = [this, d = std::move(domain)] { return do_list(d); };
  co_return co_await on_db_thread(std::move(fn));
}

task<roster> sqlite_store::load_roster(core::jid owner) {
  auto fn = [this, j = owner.bare()] { return do_load_roster(j); };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::uint64_t> sqlite_store::put_roster_item(core::jid owner, roster_item item) {
  item.contact = item.contact.bare();
  item.groups = detail::unique_groups(std::move(item.groups));
  auto fn = [this, j = owner.bare(), i = std::move(item)] {
    return i.sub == subscription::remove ? do_remove_item(j, i.contact) : do_put_item(j, i);
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::uint64_t> sqlite_store::remove_roster_item(core::jid owner, core::jid contact) {
  auto fn = [this, j = owner.bare(), c = contact.bare()] { return do_remove_item(j, c); };
  co_return co_await on_db_thread(std::move(fn));
}

task<bool> sqlite_store::store_offline(core::jid owner, std::string xml, std::size_t quota) {
  auto fn = [this, j = owner.bare(), x = std::move(xml), quota] { return do_store_offline(j, x, quota); };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::vector<offline_message>> sqlite_store::load_offline(core::jid owner) {
  auto fn = [this, j = owner.bare()] { return do_load_offline(j); };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::delete_offline(core::jid owner, std::int64_t up_to) {
  auto fn = [this, j = owner.bare(), up_to]() -> result<void> {
    auto q = db_->query(
        "DELETE FROM offline_messages WHERE account_id = "
        "(SELECT id FROM accounts WHERE domain = ?1 AND node = ?2) AND id <= ?3",
        j.domain(), j.node(), up_to);
    if (!q) return detail::failure(q.error());
    return {};
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::optional<std::string>> sqlite_store::get_private(core::jid owner, std::string key) {
  auto fn = [this, j = owner.bare(), k = std::move(key)]() -> result<std::optional<std::string>> {
    auto q = db_->query(
        "SELECT p.value FROM private_data p JOIN accounts a ON a.id = p.account_id "
        "WHERE a.domain = ?1 AND a.node = ?2 AND p.key = ?3",
        j.domain(), j.node(), k);
    if (!q) return detail::failure(q.error());
    return q->has_row() ? std::optional(q->text(0)) : std::nullopt;
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::put_private(core::jid owner, std::string key, std::string value) {
  auto fn = [this, j = owner.bare(), k = std::move(key), v = std::move(value)]() -> result<void> {
    auto q = db_->query(
        "INSERT INTO private_data (account_id, key, value) SELECT id, ?3, ?4 FROM accounts "
        "WHERE domain = ?1 AND node = ?2 ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value",
        j.domain(), j.node(), k, v);
    if (!q) return detail::failure(q.error());
    if (db_->changes() == 0) return storage_error::no_account;
    return {};
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::ping() {
  auto fn = [this]() -> result<void> {
    auto q = db_->query("SELECT 1");
    if (!q) return storage_error::unavailable;
    return {};
  };
  co_return co_await on_db_thread(std::move(fn));
}

}  // namespace ofs::storage
