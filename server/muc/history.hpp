#pragma once
// A room's recent discussion history (XEP-0045 7.2.15): the last `capacity` groupchat
// messages with their time, and the selection a joining occupant asks for with
// <history maxchars maxstanzas seconds since/>. Room-confined: no lock.
#include <chrono>
#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "server/core/stanza.hpp"

namespace ofs::muc {

using sys_clock = std::chrono::system_clock;

struct history_entry {
  core::stanza message;  // as broadcast: from room@service/nick, no 'to'
  sys_clock::time_point at;
  std::size_t chars = 0;  // its serialized size, for maxchars
};

struct history_request {  // what <history/> asked; unset fields do not limit
  std::optional<std::size_t> max_stanzas, max_chars;
  std::optional<std::chrono::seconds> seconds;
  std::optional<sys_clock::time_point> since;
};

class history {
public:
  explicit history(std::size_t capacity = 20) : capacity_(capacity) {}
  void set_capacity(std::size_t n);
  std::size_t capacity() const { return capacity_; }
  void add(core::stanza message, sys_clock::time_point at);
  // The entries the request selects (every limit applies; the newest are kept), oldest first.
  std::vector<const history_entry*> select(const history_request& r, sys_clock::time_point now) const;
  const std::deque<history_entry>& entries() const { return entries_; }
  void clear() { entries_.clear(); }

private:
  std::size_t capacity_;
  std::deque<history_entry> entries_;
};

// Reads <history/> from a join's <x xmlns='http://jabber.org/protocol/muc'/>; nullopt fields
// for absent or unreadable attributes.
history_request parse_history_request(const core::element* x);

// The copy sent on join: to the occupant, with a XEP-0203 <delay/> stamped by the room.
core::stanza delayed_copy(const history_entry& e, const core::jid& room, const core::jid& to);

}  // namespace ofs::muc
