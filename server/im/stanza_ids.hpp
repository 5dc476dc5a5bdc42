#pragma once
// XEP-0359 stanza ids for the message archive. An id is the archive position (microseconds
// since the epoch, 11 sortable base32 digits) followed by 12 digits of an HMAC over owner
// and position under a per-process key: ids sort by time, cannot be guessed, and the
// server can tell its own stamps from forged ones without remembering them. Thread-safe.
#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "server/core/element.hpp"
#include "server/core/jid.hpp"

namespace ofs::im {

inline constexpr std::string_view sid_ns = "urn:xmpp:sid:0";

struct issued_id {
  std::int64_t seq = 0;
  std::string id;
};

class stanza_ids {
public:
  stanza_ids();  // draws the key
  // A new id for `owner`'s archive; seq is strictly increasing over the process.
  issued_id issue(const core::jid& owner);
  // True when id was issued by this process for owner.
  bool ours(const core::jid& owner, std::string_view id) const;
  // The archive position an id names, if it is well formed (ours or not).
  static std::optional<std::int64_t> seq_of(std::string_view id);
  // The id for owner at seq (for tests and the benchmark).
  std::string make(const core::jid& owner, std::int64_t seq) const;

private:
  std::string key_;
  std::atomic<std::int64_t> last_{0};
};

// <stanza-id xmlns='urn:xmpp:sid:0' by='owner' id='id'/>
core::element stanza_id_element(const core::jid& owner, std::string_view id);
// The id of the first <stanza-id/> child by `by` (a bare JID), or "".
std::string_view stanza_id_by(const core::element& message, std::string_view by);
// Removes every <stanza-id/> child by `by`; true if there was one.
bool strip_stanza_ids(core::element& message, std::string_view by);

// XEP-0082 date-time with microseconds ("2026-12-03T10:32:16.123456Z"), and back; the
// parser takes what clients send: optional fraction, 'Z' or a +hh:mm / -hh:mm offset.
std::string timestamp_of(std::int64_t micros);
std::optional<std::int64_t> parse_timestamp(std::string_view s);

}  // namespace ofs::im
