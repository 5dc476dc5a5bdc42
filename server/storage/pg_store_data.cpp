// pg_store: rosters, offline messages and private data.
#include <spdlog/spdlog.h>

#include "server/storage/convert.hpp"
#include "server/storage/pg_store.hpp"

namespace ofs::storage {
namespace {

constexpr const char* lock_owner =  // serializes one owner's roster and offline changes
    "SELECT id, roster_version FROM accounts WHERE domain = $1 AND node = $2 FOR NO KEY UPDATE";

task<roster> load_roster_in(pg_connection& c, core::jid owner) {
  // One statement, so one consistent snapshot of version, items and groups.
  auto q = co_await c.query(
      "SELECT a.roster_version, i.contact, i.name, i.subscription, i.ask_out, i.pending_in, i.approved, "
      "g.name FROM accounts a LEFT JOIN roster_items i ON i.account_id = a.id "
      "LEFT JOIN roster_groups g ON g.account_id = i.account_id AND g.contact = i.contact "
      "WHERE a.domain = $1 AND a.node = $2 ORDER BY i.contact, g.position",
      owner.domain(), owner.node());
  if (!q) co_return detail::failure(q.error());
  roster out;
  std::string last;
  bool skip = false;
  for (int r = 0; r < q->size(); ++r) {
    out.version = static_cast<std::uint64_t>(q->int64(r, 0));
    if (q->is_null(r, 1)) continue;  // no items
    if (auto contact = q->text(r, 1); out.items.empty() || contact != last) {
      auto j = core::jid::parse(contact);
      skip = !j;
      if (skip) spdlog::warn("postgres: skipping roster item with an invalid address {}", contact);
      last = std::move(contact);
      if (skip) continue;
      roster_item item;
      item.contact = std::move(*j);
      item.name = q->text(r, 2);
      item.sub = detail::subscription_from_text(q->text(r, 3));
      item.ask_out = q->boolean(r, 4);
      item.pending_in = q->boolean(r, 5);
      item.approved = q->boolean(r, 6);
      out.items.push_back(std::move(item));
    }
    if (!skip && !q->is_null(r, 7)) out.items.back().groups.push_back(q->text(r, 7));
  }
  co_return out;
}

task<std::uint64_t> put_item_in(pg_connection& c, core::jid owner, roster_item item) {
  auto v = co_await c.query(
      "UPDATE accounts SET roster_version = roster_version + 1 WHERE domain = $1 AND node = $2 "
      "RETURNING id, roster_version",
      owner.domain(), owner.node());
  if (!v) co_return detail::failure(v.error());
  if (v->size() == 0) co_return storage_error::no_account;
  const auto id = v->int64(0, 0);
  const auto& contact = item.contact.str();
  auto put = co_await c.query(
      "INSERT INTO roster_items (account_id, contact, name, subscription, ask_out, pending_in, approved) "
      "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (account_id, contact) DO UPDATE SET "
      "name = excluded.name, subscription = excluded.subscription, ask_out = excluded.ask_out, "
      "pending_in = excluded.pending_in, approved = excluded.approved",
      id, contact, item.name, detail::to_text(item.sub), item.ask_out, item.pending_in, item.approved);
  if (!put) co_return detail::failure(put.error());
  auto clear = co_await c.query("DELETE FROM roster_groups WHERE account_id = $1 AND contact = $2", id, contact);
  if (!clear) co_return detail::failure(clear.error());
  int position = 0;
  for (const auto& g : item.groups) {
    auto q = co_await c.query("INSERT INTO roster_groups (account_id, contact, position, name) VALUES ($1, $2, $3, $4)",
                              id, contact, position++, g);
    if (!q) co_return detail::failure(q.error());
  }
  co_return static_cast<std::uint64_t>(v->int64(0, 1));
}

task<std::uint64_t> remove_item_in(pg_connection& c, core::jid owner, core::jid contact) {
  auto a = co_await c.query(lock_owner, owner.domain(), owner.node());
  if (!a) co_return detail::failure(a.error());
  if (a->size() == 0) co_return std::uint64_t{0};
  const auto id = a->int64(0, 0);
  const auto version = static_cast<std::uint64_t>(a->int64(0, 1));
  auto del = co_await c.query("DELETE FROM roster_items WHERE account_id = $1 AND contact = $2", id, contact.str());
  if (!del) co_return detail::failure(del.error());
  if (del->affected() == 0) co_return version;
  auto bump = co_await c.query("UPDATE accounts SET roster_version = roster_version + 1 WHERE id = $1", id);
  if (!bump) co_return detail::failure(bump.error());
  co_return version + 1;
}

task<std::uint64_t> put_or_remove_in(pg_connection& c, core::jid owner, roster_item item) {
  if (item.sub == subscription::remove) co_return co_await remove_item_in(c, owner, item.contact);
  co_return co_await put_item_in(c, owner, std::move(item));
}

task<bool> store_offline_in(pg_connection& c, core::jid owner, std::string xml, std::size_t quota) {
  // The owner's row lock makes the count and the insert one step: the quota holds under load.
  auto a = co_await c.query(lock_owner, owner.domain(), owner.node());
  if (!a) co_return detail::failure(a.error());
  if (a->size() == 0) co_return storage_error::no_account;
  auto q = co_await c.query(
      "INSERT INTO offline_messages (account_id, xml) SELECT $1, $2 "
      "WHERE (SELECT count(*) FROM offline_messages WHERE account_id = $1) < $3",
      a->int64(0, 0), xml, quota);
  if (!q) co_return detail::failure(q.error());
  co_return q->affected() > 0;
}

task<std::vector<offline_message>> load_offline_in(pg_connection& c, core::jid owner) {
  auto q = co_await c.query(
      "SELECT o.id, o.xml FROM offline_messages o JOIN accounts a ON a.id = o.account_id "
      "WHERE a.domain = $1 AND a.node = $2 ORDER BY o.id",
      owner.domain(), owner.node());
  if (!q) co_return detail::failure(q.error());
  std::vector<offline_message> out;
  for (int r = 0; r < q->size(); ++r) out.push_back({q->int64(r, 0), q->text(r, 1)});
  co_return out;
}

task<void> delete_offline_in(pg_connection& c, core::jid owner, std::int64_t up_to) {
  auto q = co_await c.query(
      "DELETE FROM offline_messages WHERE account_id = "
      "(SELECT id FROM accounts WHERE domain = $1 AND node = $2) AND id <= $3",
      owner.domain(), owner.node(), up_to);
  if (!q) co_return detail::failure(q.error());
  co_return result<void>();
}

task<std::optional<std::string>> get_private_in(pg_connection& c, core::jid owner, std::string key) {
  auto q = co_await c.query(
      "SELECT p.value FROM private_data p JOIN accounts a ON a.id = p.account_id "
      "WHERE a.domain = $1 AND a.node = $2 AND p.key = $3",
      owner.domain(), owner.node(), key);
  if (!q) co_return detail::failure(q.error());
  co_return q->size() ? std::optional(q->text(0, 0)) : std::nullopt;
}

task<void> put_private_in(pg_connection& c, core::jid owner, std::string key, std::string value) {
  auto q = co_await c.query(
      "INSERT INTO private_data (account_id, key, value) SELECT id, $3, $4 FROM accounts "
      "WHERE domain = $1 AND node = $2 ON CONFLICT (account_id, key) DO UPDATE SET value = excluded.value",
      owner.domain(), owner.node(), key, value);
  if (!q) co_return detail::failure(q.error());
  if (q->affected() == 0) co_return storage_error::no_account;
  co_return result<void>();
}

}  // namespace

task<roster> pg_store::load_roster(core::jid owner) {
  auto work = with_connection(&load_roster_in, owner.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<std::uint64_t> pg_store::put_roster_item(core::jid owner, roster_item item) {
  item.contact = item.contact.bare();
  item.groups = detail::unique_groups(std::move(item.groups));
  auto work = in_transaction(&put_or_remove_in, owner.bare(), std::move(item));
  co_return co_await on_io_thread(std::move(work));
}

task<std::uint64_t> pg_store::remove_roster_item(core::jid owner, core::jid contact) {
  auto work = in_transaction(&remove_item_in, owner.bare(), contact.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<bool> pg_store::store_offline(core::jid owner, std::string xml, std::size_t quota) {
  auto work = in_transaction(&store_offline_in, owner.bare(), std::move(xml), std::size_t{quota});
  co_return co_await on_io_thread(std::move(work));
}

task<std::vector<offline_message>> pg_store::load_offline(core::jid owner) {
  auto work = with_connection(&load_offline_in, owner.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::delete_offline(core::jid owner, std::int64_t up_to) {
  auto work = with_connection(&delete_offline_in, owner.bare(), std::int64_t{up_to});
  co_return co_await on_io_thread(std::move(work));
}

task<std::optional<std::string>> pg_store::get_private(core::jid owner, std::string key) {
  auto work = with_connection(&get_private_in, owner.bare(), std::move(key));
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::put_private(core::jid owner, std::string key, std::string value) {
  auto work = with_connection(&put_private_in, owner.bare(), std::move(key), std::move(value));
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
