// pg_store: persistent multi-user chat rooms.
#include <spdlog/spdlog.h>

#include <map>

#include "server/storage/convert.hpp"
#include "server/storage/pg_store.hpp"

namespace ofs::storage {
namespace {

std::int64_t to_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

task<void> save_room_in(pg_connection& c, muc_room room) {
  auto q = co_await c.query(
      "INSERT INTO muc_rooms (node, domain, config, subject, subject_by) VALUES ($1, $2, $3, $4, $5) "
      "ON CONFLICT (domain, node) DO UPDATE SET config = excluded.config, subject = excluded.subject, "
      "subject_by = excluded.subject_by RETURNING id",
      room.room.node(), room.room.domain(), room.config, room.subject, room.subject_by);
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return storage_error::failed;
  const std::int64_t id = q->int64(0, 0);
  auto clear = co_await c.query("DELETE FROM muc_affiliations WHERE room_id = $1", id);
  if (!clear) co_return detail::failure(clear.error());
  for (const auto& a : room.affiliations) {
    auto put = co_await c.query(
        "INSERT INTO muc_affiliations (room_id, jid, affiliation, nick, reason) VALUES ($1, $2, $3, $4, $5)",
        id, a.who.bare_str(), a.affiliation, a.nick, a.reason);
    if (!put) co_return detail::failure(put.error());
  }
  co_return result<void>();
}

task<void> add_history_in(pg_connection& c, core::jid room, muc_message m, std::size_t keep) {
  // The room's row lock orders concurrent appends and their trimming.
  auto r = co_await c.query("SELECT id FROM muc_rooms WHERE domain = $1 AND node = $2 FOR NO KEY UPDATE",
                            room.domain(), room.node());
  if (!r) co_return detail::failure(r.error());
  if (r->size() == 0) co_return storage_error::no_account;
  const std::int64_t id = r->int64(0, 0);
  auto put = co_await c.query("INSERT INTO muc_history (room_id, stamp_ms, xml) VALUES ($1, $2, $3)", id,
                              to_ms(m.at), m.xml);
  if (!put) co_return detail::failure(put.error());
  auto trim = co_await c.query(
      "DELETE FROM muc_history WHERE room_id = $1 AND id NOT IN "
      "(SELECT id FROM muc_history WHERE room_id = $1 ORDER BY id DESC LIMIT $2)",
      id, keep);
  if (!trim) co_return detail::failure(trim.error());
  co_return result<void>();
}

task<bool> remove_room_in(pg_connection& c, core::jid room) {
  auto q =
      co_await c.query("DELETE FROM muc_rooms WHERE domain = $1 AND node = $2", room.domain(), room.node());
  if (!q) co_return detail::failure(q.error());
  co_return q->affected() > 0;
}

task<std::vector<muc_room>> load_rooms_in(pg_connection& c, std::string domain) {
  auto rooms = co_await c.query(
      "SELECT id, node, domain, config, subject, subject_by FROM muc_rooms WHERE $1 = '' OR domain = $1 "
      "ORDER BY domain, node",
      domain);
  if (!rooms) co_return detail::failure(rooms.error());
  std::vector<muc_room> out;
  std::map<std::int64_t, std::size_t> index;
  for (int r = 0; r < rooms->size(); ++r) {
    auto j = core::jid::from_parts(rooms->text(r, 1), rooms->text(r, 2));
    if (!j) {
      spdlog::warn("postgres: skipping a room with an invalid address {}@{}", rooms->text(r, 1),
                   rooms->text(r, 2));
      continue;
    }
    index[rooms->int64(r, 0)] = out.size();
    out.push_back({*j, rooms->text(r, 3), rooms->text(r, 4), rooms->text(r, 5), {}, {}});
  }
  auto affs = co_await c.query(
      "SELECT a.room_id, a.jid, a.affiliation, a.nick, a.reason FROM muc_affiliations a "
      "JOIN muc_rooms r ON r.id = a.room_id WHERE $1 = '' OR r.domain = $1 ORDER BY a.room_id, a.jid",
      domain);
  if (!affs) co_return detail::failure(affs.error());
  for (int r = 0; r < affs->size(); ++r) {
    auto it = index.find(affs->int64(r, 0));
    auto j = core::jid::parse(affs->text(r, 1));
    if (it == index.end() || !j) continue;
    out[it->second].affiliations.push_back({*j, affs->text(r, 2), affs->text(r, 3), affs->text(r, 4)});
  }
  auto hist = co_await c.query(
      "SELECT h.room_id, h.stamp_ms, h.xml FROM muc_history h JOIN muc_rooms r ON r.id = h.room_id "
      "WHERE $1 = '' OR r.domain = $1 ORDER BY h.room_id, h.id",
      domain);
  if (!hist) co_return detail::failure(hist.error());
  for (int r = 0; r < hist->size(); ++r) {
    auto it = index.find(hist->int64(r, 0));
    if (it == index.end()) continue;
    out[it->second].history.push_back({hist->text(r, 2), std::chrono::system_clock::time_point(
                                                             std::chrono::milliseconds(hist->int64(r, 1)))});
  }
  co_return out;
}

task<std::string> secret_in(pg_connection& c, std::string domain, std::string candidate) {
  auto put =
      co_await c.query("INSERT INTO muc_services (domain, id_secret) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                       domain, candidate);
  if (!put) co_return detail::failure(put.error());
  auto q = co_await c.query("SELECT id_secret FROM muc_services WHERE domain = $1", domain);
  if (!q) co_return detail::failure(q.error());
  if (q->size() == 0) co_return storage_error::failed;
  co_return q->text(0, 0);
}

}  // namespace

task<std::string> pg_store::muc_service_secret(std::string domain, std::string candidate) {
  auto work = with_connection(&secret_in, std::move(domain), std::move(candidate));
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::save_muc_room(muc_room room) {
  room.room = room.room.bare();
  auto work = in_transaction(&save_room_in, std::move(room));
  co_return co_await on_io_thread(std::move(work));
}

task<void> pg_store::add_muc_history(core::jid room, muc_message m, std::size_t keep) {
  auto work = in_transaction(&add_history_in, room.bare(), std::move(m), std::size_t{keep});
  co_return co_await on_io_thread(std::move(work));
}

task<bool> pg_store::remove_muc_room(core::jid room) {
  auto work = with_connection(&remove_room_in, room.bare());
  co_return co_await on_io_thread(std::move(work));
}

task<std::vector<muc_room>> pg_store::load_muc_rooms(std::string domain) {
  auto work = with_connection(&load_rooms_in, std::move(domain));
  co_return co_await on_io_thread(std::move(work));
}

}  // namespace ofs::storage
