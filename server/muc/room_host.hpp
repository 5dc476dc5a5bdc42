#pragma once
// What a room needs from the MUC service that owns it (service.hpp implements it): routing,
// the store, the index of sessions in rooms, occupant ids and the room's archive.
#include <string>

#include "server/core/stanza.hpp"
#include "server/core/stanza_error.hpp"
#include "server/im/stanza_ids.hpp"
#include "server/muc/history.hpp"
#include "server/storage/store.hpp"

namespace ofs::muc {

class room;

class room_host {
public:
  virtual ~room_host() = default;
  virtual void send(core::stanza s) = 0;  // routes it; 'from' is set by the room
  virtual void bounce(const core::stanza& s, core::stanza_error e) = 0;
  virtual void persist(room& r) = 0;                                  // configuration and affiliations
  virtual void persist_message(room& r, const history_entry& e) = 0;  // its recent history
  virtual void unpersist(room& r) = 0;                                // no longer persistent
  virtual void forget(room& r) = 0;  // destroyed: out of the service (later) and the store
  virtual void occupant_joined(const core::jid& real, const core::jid& room) = 0;
  virtual void occupant_left(const core::jid& real, const core::jid& room) = 0;
  virtual bool is_service_admin(const core::jid& real) const = 0;
  virtual std::size_t max_occupants() const = 0;
  virtual std::string occupant_id(const core::jid& room, const core::jid& real) const = 0;
  // The room archive (XEP-0313, room_archive.cpp): on for the server, an id for the next
  // message, its write (in order with the room's other writes), and a query answered after them.
  virtual bool archive_enabled() const = 0;
  virtual im::issued_id next_archive_id(const core::jid& room) = 0;
  virtual void archive(room& r, storage::archived_message m) = 0;
  virtual void query_archive(room& r, core::stanza request, bool real_jids) = 0;
};

}  // namespace ofs::muc
