// service: persistent rooms. The store is written in order per room by one writer coroutine
// on the room's shard; a failed write is logged with the room and what was lost.
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <thread>

#include "server/auth/base64.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"
#include "server/muc/service.hpp"

namespace ofs::muc {
namespace asio = boost::asio;

storage::muc_room service::record_of(const room& r) const {
  storage::muc_room rec;
  rec.room = r.jid();
  rec.config = im::to_stored(make_submit_form(r.config()));
  rec.subject = r.subject();
  rec.subject_by = r.subject_by();
  for (const auto& [who, e] : r.affiliations())
    if (e.a != affiliation::none)
      rec.affiliations.push_back({who, std::string(to_string(e.a)), e.nick, e.reason});
  return rec;
}

void service::persist(room& r) {
  if (!r.config().persistent || r.destroyed()) return;
  write_op op;
  op.what = write_op::kind::save;
  op.record = record_of(r);
  queue_write(r, std::move(op));
}

void service::persist_message(room& r, const history_entry& e) {
  // The recent history replayed on entering; the archive (room_archive.cpp) keeps every message.
  if (!r.config().persistent) return;
  write_op op;
  op.what = write_op::kind::history;
  op.record.room = r.jid();
  op.message = {im::to_stored(e.message.xml()), e.at};
  op.keep = r.config().history_length;
  queue_write(r, std::move(op));
}

void service::unpersist(room& r) {
  write_op op;
  op.what = write_op::kind::remove;
  op.record.room = r.jid();
  queue_write(r, std::move(op));
}

void service::queue_write(room& r, write_op op) {
  shard& sh = shard_of(r.jid());
  auto& queue = sh.writes[r.jid().str()];
  queue.push_back(std::move(op));
  pending_writes_.fetch_add(1, std::memory_order_acq_rel);
  if (queue.size() > 1) return;  // its writer is running
  asio::co_spawn(sh.strand, write_loop(&sh, r.jid().str()), [key = r.jid().str()](std::exception_ptr e) {
    try {
      if (e) std::rethrow_exception(e);
    } catch (const std::exception& x) {
      spdlog::error("muc: writing {} failed: {}", key, x.what());
    }
  });
}

asio::awaitable<void> service::write_loop(shard* sh, std::string key) {
  for (;;) {
    auto it = sh->writes.find(key);
    if (it == sh->writes.end()) co_return;
    if (it->second.empty()) {
      sh->writes.erase(it);
      co_return;
    }
    // Ops stay queued while written, so that queue_write sees a writer running.
    const write_op& front = it->second.front();
    const core::jid room = front.record.room;
    std::size_t done_ops = 1;
    error_code ec;
    const char* what = "";
    if (front.what == write_op::kind::archive) {
      what = "archived messages";
      std::size_t n = 0;
      while (n < it->second.size() && it->second[n].what == write_op::kind::archive) ++n;
      done_ops = n;
      auto call = write_archive(room, &it->second);  // reads the first n; they stay queued
      ec = co_await std::move(call);
    } else if (front.what == write_op::kind::query) {
      write_op op = front;
      auto call = answer_query(room, std::move(op));
      co_await std::move(call);
    } else if (front.what == write_op::kind::save) {
      what = "its configuration and affiliations";
      storage::muc_room record = front.record;
      auto call = store_.save_muc_room(std::move(record));  // named: GCC 12 (an aggregate argument)
      auto done = co_await std::move(call);
      if (!done) ec = done.error();
    } else if (front.what == write_op::kind::history) {
      what = "a message of its history";
      storage::muc_message message = front.message;
      auto call = store_.add_muc_history(room, std::move(message), front.keep);  // named: GCC 12
      auto done = co_await std::move(call);
      if (!done) ec = done.error();
    } else {
      what = "its removal";
      auto done = co_await store_.remove_muc_room(room);
      if (!done) ec = done.error();
    }
    if (ec) spdlog::error("muc: room {}: storing {} failed: {}", key, what, ec.message());
    it = sh->writes.find(key);
    for (std::size_t i = 0; i < done_ops && it != sh->writes.end() && !it->second.empty(); ++i) {
      it->second.pop_front();
      pending_writes_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }
}

bool service::drain(std::chrono::steady_clock::time_point deadline) {
  while (pending_writes_.load(std::memory_order_acquire) > 0) {
    if (std::chrono::steady_clock::now() >= deadline) {
      spdlog::warn("muc: shutdown deadline reached with {} room write(s) not stored", pending_writes_.load());
      return false;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

void service::restore(shard& sh, const storage::muc_room& rec) {
  room_config c = default_config();
  auto form = im::from_stored(rec.config);
  if (!form)
    spdlog::warn("muc: room {}: stored configuration unreadable; defaults used", rec.room.str());
  else if (auto err = apply_config_form(*form, c, config_.max_occupants))
    spdlog::warn("muc: room {}: stored configuration refused ({}); defaults used", rec.room.str(), err->text);
  c.persistent = true;
  auto r = add_room(sh, rec.room, c);
  for (const auto& a : rec.affiliations)
    if (auto af = affiliation_from_string(a.affiliation))
      r->restore_affiliation(a.who, {*af, a.nick, a.reason});
  r->set_subject(rec.subject, rec.subject_by);
  for (const auto& m : rec.history)
    if (auto e = im::from_stored(m.xml)) r->restore_history(im::make_stanza(std::move(*e)), m.at);
  update_directory(*r);
}

asio::awaitable<std::string> service::start() {
  unsigned char bytes[32];
  RAND_bytes(bytes, sizeof bytes);
  const std::string candidate =
      auth::base64_encode(std::string_view(reinterpret_cast<const char*>(bytes), sizeof bytes));
  auto secret_call = store_.muc_service_secret(domain_, candidate);
  auto secret = co_await std::move(secret_call);
  if (!secret) co_return "cannot load the occupant-id secret of " + domain_ + ": " + secret.error().message();
  id_secret_ = *secret;
  auto loaded = co_await store_.load_muc_rooms(domain_);
  if (!loaded) co_return "cannot load the rooms of " + domain_ + ": " + loaded.error().message();
  // No stanza reaches the shards before the component is added below: touching them here is safe.
  for (const auto& rec : *loaded) restore(shard_of(rec.room), rec);
  for (const auto& d : config_.rooms) {
    auto jid = core::jid::from_parts(d.name, domain_);
    if (!jid) co_return "[muc] room '" + d.name + "' is not a valid room name";
    shard& sh = shard_of(*jid);
    if (sh.rooms.count(jid->str())) continue;  // created before: its live configuration wins
    room_config c = d.config;
    c.persistent = true;
    auto r = add_room(sh, *jid, c);
    for (const auto& o : d.owners)
      if (auto j = core::jid::parse(o)) r->restore_affiliation(*j, {affiliation::owner, {}, {}});
    persist(*r);
    spdlog::info("muc: {} created from the configuration", jid->str());
  }
  auto address = core::jid::parse(domain_);
  if (!address) co_return "[muc] domain '" + domain_ + "' is not a valid domain";
  open(*address);
  spdlog::debug("muc: serving {} with {} room(s)", domain_, list_rooms().size());
  co_return std::string();
}

}  // namespace ofs::muc
