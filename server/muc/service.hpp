#pragma once
// The multi-user chat service (XEP-0045) at its own domain (conference.<domain>): a component
// of the router, which hands it every stanza addressed to that domain. Rooms are spread over
// shards, each a strand with its own map, so a room is touched by one thread at a time and
// nothing is locked across a co_await; only the directory (names and sizes, for disco and
// ofsctl) and the index of the sessions in rooms (to leave them when a session ends) are
// shared, each under its own mutex for a few lines. Persistent rooms are written to the
// store in order per room, by one writer coroutine per room on its shard.
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>

#include "server/core/router.hpp"
#include "server/im/mam_query.hpp"
#include "server/muc/room.hpp"
#include "server/muc/service_config.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {
class service;
}

namespace ofs::muc {

struct room_summary {
  core::jid room;
  std::string name;
  bool public_room = true, persistent = false, members_only = false, password_protected = false;
  std::size_t occupants = 0;
};

class service final : public room_host {
public:
  service(core::router& router, im::service& im, storage::store& store, boost::asio::any_io_executor ex,
          service_config config);
  ~service() override;

  // Loads the persistent rooms, creates the declared ones, then starts taking stanzas for
  // the domain. An empty string, or what went wrong (the store could not be read).
  boost::asio::awaitable<std::string> start();
  const std::string& domain() const { return domain_; }
  // Shutdown, after the sessions are closed and the IM work drained, before the store
  // closes: waits for the rooms' queued store writes until the deadline (false if some are
  // left, logged). From a thread that is not an I/O thread, while the I/O threads still run.
  bool drain(std::chrono::steady_clock::time_point deadline);

  // Administration (ofsctl), from any executor. Each returns "" or the error's text.
  boost::asio::awaitable<std::string> create_room(std::string name, room_config config,
                                                  std::vector<core::jid> owners);
  boost::asio::awaitable<std::string> destroy_room(core::jid room, std::string reason);
  boost::asio::awaitable<std::string> set_affiliation(core::jid room, core::jid who, affiliation a);
  std::vector<room_summary> list_rooms() const;

  // room_host
  void send(core::stanza s) override { router_.route(std::move(s)); }
  void bounce(const core::stanza& s, core::stanza_error e) override { router_.bounce(s, std::move(e)); }
  void persist(room& r) override;
  void persist_message(room& r, const history_entry& e) override;
  void unpersist(room& r) override;
  void forget(room& r) override;
  void occupant_joined(const core::jid& real, const core::jid& room) override;
  void occupant_left(const core::jid& real, const core::jid& room) override;
  bool is_service_admin(const core::jid& real) const override;
  std::size_t max_occupants() const override { return config_.max_occupants; }
  std::string occupant_id(const core::jid& room, const core::jid& real) const override;
  bool archive_enabled() const override;
  im::issued_id next_archive_id(const core::jid& room) override { return archive_ids_.issue(room); }
  void archive(room& r, storage::archived_message m) override;
  void query_archive(room& r, core::stanza request, bool real_jids) override;

private:
  class component;
  struct write_op {
    enum class kind { save, history, remove, archive, query } what;
    storage::muc_room record;  // save: the whole record; the others: its JID
    storage::muc_message message;
    std::size_t keep = 0;
    storage::archived_message archived;  // archive
    core::stanza request;                // query: the iq, parsed into mam
    im::mam_request mam;
    bool real_jids = false;
  };
  struct shard {
    explicit shard(boost::asio::any_io_executor ex) : strand(boost::asio::make_strand(ex)) {}
    boost::asio::strand<boost::asio::any_io_executor> strand;
    std::unordered_map<std::string, std::shared_ptr<room>> rooms;  // by bare JID
    std::unordered_map<std::string, std::deque<write_op>> writes;  // a writer runs while non-empty
  };

  shard& shard_of(const core::jid& room);
  void open(const core::jid& address);  // the router hands the domain's stanzas over from now
  void deliver(core::stanza s);         // any thread: to the room's shard
  void on_shard(shard& sh, core::stanza s);
  void to_service(core::stanza& s);  // addressed to the domain itself
  bool may_create(const core::jid& real) const;
  room_config default_config() const;
  std::shared_ptr<room> add_room(shard& sh, const core::jid& jid, room_config c);
  void update_directory(const room& r);
  void queue_write(room& r, write_op op);
  boost::asio::awaitable<void> write_loop(shard* sh, std::string key);
  // service_archive.cpp: consecutive archive writes of a room go in one batch; a query
  // answers after the writes queued before it (a sender reads its own messages).
  boost::asio::awaitable<error_code> write_archive(core::jid room, std::deque<write_op>* queue);
  boost::asio::awaitable<void> answer_query(core::jid room, write_op op);
  void session_ended(const core::jid& real);
  storage::muc_room record_of(const room& r) const;
  void restore(shard& sh, const storage::muc_room& rec);
  // The administration calls' bodies, run on the room's shard (service_admin.cpp).
  boost::asio::awaitable<std::string> create_on_shard(shard* sh, core::jid jid, room_config c,
                                                      std::vector<core::jid> owners);
  boost::asio::awaitable<std::string> destroy_on_shard(shard* sh, core::jid jid, std::string reason);
  boost::asio::awaitable<std::string> affiliate_on_shard(shard* sh, core::jid jid, core::jid who,
                                                         affiliation a);

  core::router& router_;
  im::service& im_;
  storage::store& store_;
  boost::asio::any_io_executor executor_;
  service_config config_;
  std::string domain_;
  std::set<core::jid> admins_;
  std::string id_secret_;  // XEP-0421 ids: HMAC keyed by it; stored, so ids survive restarts
  im::stanza_ids archive_ids_;
  std::vector<std::unique_ptr<shard>> shards_;
  std::shared_ptr<component> component_;
  std::atomic<std::size_t> pending_writes_{0};  // queued or running, over every room
  mutable std::mutex directory_mutex_;
  std::map<std::string, room_summary> directory_;
  std::mutex index_mutex_;
  std::unordered_map<std::string, std::set<std::string>> rooms_of_;  // full JID -> room JIDs
};

}  // namespace ofs::muc
