// sqlite_store: persistent multi-user chat rooms.
#include <spdlog/spdlog.h>

#include "server/storage/convert.hpp"
#include "server/storage/sqlite_store.hpp"

namespace ofs::storage {
namespace {

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_ms(std::int64_t ms) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

}  // namespace

result<void> sqlite_store::do_save_muc_room(const muc_room& room) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  std::int64_t id;
  {
    auto q = db_->query(
        "INSERT INTO muc_rooms (node, domain, config, subject, subject_by) VALUES (?1, ?2, ?3, ?4, ?5) "
        "ON CONFLICT (domain, node) DO UPDATE SET config = excluded.config, subject = excluded.subject, "
        "subject_by = excluded.subject_by RETURNING id",
        room.room.node(), room.room.domain(), room.config, room.subject, room.subject_by);
    if (!q || !q->has_row()) return detail::failure(q ? make_error_code(storage_error::failed) : q.error());
    id = q->int64(0);
  }
  if (auto q = db_->query("DELETE FROM muc_affiliations WHERE room_id = ?1", id); !q)
    return detail::failure(q.error());
  for (const auto& a : room.affiliations) {
    auto q = db_->query(
        "INSERT INTO muc_affiliations (room_id, jid, affiliation, nick, reason) VALUES (?1, ?2, ?3, ?4, ?5)",
        id, a.who.bare_str(), a.affiliation, a.nick, a.reason);
    if (!q) return detail::failure(q.error());
  }
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return {};
}

result<void> sqlite_store::do_add_muc_history(const core::jid& room, const muc_message& m, std::size_t keep) {
  sqlite_transaction tx(*db_);
  if (auto r = tx.begin(); !r) return detail::failure(r.error());
  auto id =
      db_->query("SELECT id FROM muc_rooms WHERE domain = ?1 AND node = ?2", room.domain(), room.node());
  if (!id) return detail::failure(id.error());
  if (!id->has_row()) return storage_error::no_account;
  const std::int64_t room_id = id->int64(0);
  if (auto q = db_->query("INSERT INTO muc_history (room_id, stamp_ms, xml) VALUES (?1, ?2, ?3)", room_id,
                          to_ms(m.at), m.xml);
      !q)
    return detail::failure(q.error());
  if (auto q = db_->query("DELETE FROM muc_history WHERE room_id = ?1 AND id NOT IN "
                          "(SELECT id FROM muc_history WHERE room_id = ?1 ORDER BY id DESC LIMIT ?2)",
                          room_id, static_cast<std::int64_t>(keep));
      !q)
    return detail::failure(q.error());
  if (auto r = tx.commit(); !r) return detail::failure(r.error());
  return {};
}

result<std::vector<muc_room>> sqlite_store::do_load_muc_rooms(const std::string& domain) {
  std::vector<muc_room> out;
  std::vector<std::int64_t> ids;
  {
    auto q = db_->query(
        "SELECT id, node, domain, config, subject, subject_by FROM muc_rooms WHERE ?1 = '' OR domain = ?1 "
        "ORDER BY domain, node",
        domain);
    if (!q) return detail::failure(q.error());
    for (; q->has_row(); q->next()) {
      auto j = core::jid::from_parts(q->text(1), q->text(2));
      if (!j) {
        spdlog::warn("sqlite: skipping a room with an invalid address {}@{}", q->text(1), q->text(2));
        continue;
      }
      ids.push_back(q->int64(0));
      out.push_back({*j, q->text(3), q->text(4), q->text(5), {}, {}});
    }
    if (!q->ok()) return detail::failure(make_error_code(storage_error::failed));
  }
  for (std::size_t i = 0; i < out.size(); ++i) {
    auto a = db_->query(
        "SELECT jid, affiliation, nick, reason FROM muc_affiliations WHERE room_id = ?1 ORDER BY jid",
        ids[i]);
    if (!a) return detail::failure(a.error());
    for (; a->has_row(); a->next()) {
      auto j = core::jid::parse(a->text(0));
      if (!j) continue;
      out[i].affiliations.push_back({*j, a->text(1), a->text(2), a->text(3)});
    }
    auto h = db_->query("SELECT stamp_ms, xml FROM muc_history WHERE room_id = ?1 ORDER BY id", ids[i]);
    if (!h) return detail::failure(h.error());
    for (; h->has_row(); h->next()) out[i].history.push_back({h->text(1), from_ms(h->int64(0))});
  }
  return out;
}

result<std::optional<std::int64_t>> sqlite_store::room_id(const core::jid& room) {
  auto q = db_->query("SELECT id FROM muc_rooms WHERE domain = ?1 AND node = ?2", room.domain(), room.node());
  if (!q) return detail::failure(q.error());
  if (!q->has_row()) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(q->int64(0));
}

task<std::string> sqlite_store::muc_service_secret(std::string domain, std::string candidate) {
  auto fn = [this, d = std::move(domain), c = std::move(candidate)]() -> result<std::string> {
    if (auto q = db_->query(
            "INSERT INTO muc_services (domain, id_secret) VALUES (?1, ?2) ON CONFLICT DO NOTHING", d, c);
        !q)
      return detail::failure(q.error());
    auto q = db_->query("SELECT id_secret FROM muc_services WHERE domain = ?1", d);
    if (!q) return detail::failure(q.error());
    if (!q->has_row()) return storage_error::failed;
    return q->text(0);
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::save_muc_room(muc_room room) {
  room.room = room.room.bare();
  auto fn = [this, r = std::move(room)] { return do_save_muc_room(r); };
  co_return co_await on_db_thread(std::move(fn));
}

task<void> sqlite_store::add_muc_history(core::jid room, muc_message m, std::size_t keep) {
  auto fn = [this, j = room.bare(), m = std::move(m), keep] { return do_add_muc_history(j, m, keep); };
  co_return co_await on_db_thread(std::move(fn));
}

task<bool> sqlite_store::remove_muc_room(core::jid room) {
  auto fn = [this, j = room.bare()]() -> result<bool> {
    auto q = db_->query("DELETE FROM muc_rooms WHERE domain = ?1 AND node = ?2", j.domain(), j.node());
    if (!q) return detail::failure(q.error());
    return db_->changes() > 0;
  };
  co_return co_await on_db_thread(std::move(fn));
}

task<std::vector<muc_room>> sqlite_store::load_muc_rooms(std::string domain) {
  auto fn = [this, d = std::move(domain)] { return do_load_muc_rooms(d); };
  co_return co_await on_db_thread(std::move(fn));
}

}  // namespace ofs::storage
