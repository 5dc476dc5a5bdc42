#pragma once
// XEP-0198 bookkeeping of one client session, without I/O or locking (c2s_session locks around
// it): the stanzas sent to the client and not yet acknowledged, and the client's stanzas
// received and handled. Counts are 64-bit here; on the wire they are taken modulo 2^32.
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <vector>

#include "server/core/stanza.hpp"

namespace ofs::xmpp {

// A stanza for the client; `received` (may be empty) learns whether it got it (endpoint.hpp).
struct outbound_entry {
  core::stanza s;
  std::function<void(bool received)> received;
};

// What is sent to the client, in order. Without stream management an entry leaves when it is
// written; with it, when the client acknowledges it, so that it can be sent again on a resumed
// stream or sent elsewhere when the session ends.
class outbound_queue {
public:
  explicit outbound_queue(std::uint64_t acked = 0) : acked_(acked) {}  // a count to start from (tests)
  void push(outbound_entry e) { q_.push_back(std::move(e)); }
  // The entries not yet written, now counted as written: moved out without stream management,
  // copied (stanza only; `received` waits for the ack) with it.
  std::vector<outbound_entry> take_unwritten(bool keep_until_acked);
  // The client handled h stanzas in all (mod 2^32): the entries that covers leave the queue,
  // in order. nullopt when h counts more than was written: the queue is unchanged.
  std::optional<std::vector<outbound_entry>> ack(std::uint32_t h);
  // Everything unacknowledged counts as not written again (a resumed stream resends it).
  void rewind() { written_ = 0; }
  std::vector<outbound_entry> take_all();  // the session ends

  std::size_t size() const { return q_.size() - head_; }
  std::size_t unacked_written() const { return written_; }
  std::uint64_t acked() const { return acked_; }
  std::uint64_t sent() const { return acked_ + written_; }  // written, acknowledged or not

private:
  void drop_front(std::size_t n);  // the first n entries have left
  void clear();                    // every entry has left

  // A vector from head_ rather than a deque: an empty one holds no memory, and one that a
  // burst grew (a room entry queues an occupant's presence per occupant) is given back once
  // drained instead of keeping its map and blocks for the session's life.
  std::vector<outbound_entry> q_;
  std::size_t head_ = 0;
  std::size_t written_ = 0;  // q_[head_, head_ + written_) went out and wait for the client's ack
  std::uint64_t acked_ = 0;  // acknowledged in all
};

// The client's stanzas: each gets a sequence number when it arrives and is handled when the
// IM layer is done with it, in any order; the count the server acknowledges is the unbroken
// prefix. Answers (<a/>, or <resumed/>) are owed for what had arrived when they were asked
// for, and are due, in order, once all of it is handled.
class inbound_counter {
public:
  enum class answer_kind { ack, resumed };
  struct answer {
    answer_kind kind;
    std::uint32_t h;  // the handled count on the wire
  };

  std::uint64_t receive() { return ++received_; }  // the new stanza's sequence number
  void handled(std::uint64_t seq);
  void owe(answer_kind kind) { owed_.push_back({kind, received_}); }
  void forget_owed() { owed_.clear(); }  // a resumed stream: the old one's <r/> are moot
  bool has_due() const { return !owed_.empty() && owed_.front().until <= handled_; }
  std::vector<answer> take_due();

  std::uint64_t received() const { return received_; }
  std::uint64_t handled() const { return handled_; }
  std::uint32_t handled_wire() const { return static_cast<std::uint32_t>(handled_); }

private:
  struct owed {
    answer_kind kind;
    std::uint64_t until;  // due once handled_ reaches it
  };
  std::uint64_t received_ = 0, handled_ = 0;
  std::set<std::uint64_t> done_;  // handled, beyond the prefix
  std::vector<owed> owed_;        // few at a time; unlike a deque, holds nothing when empty
};

}  // namespace ofs::xmpp
