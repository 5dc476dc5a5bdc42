#pragma once
// The storage interface: all the core knows about persistence, one method per use case.
// Every method is a coroutine that resumes on the caller's executor; no SQL leaks through.
// Implementations: memory_store (tests), sqlite_store (embedded default), pg_store.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "server/auth/scram.hpp"
#include "server/core/jid.hpp"
#include "server/core/result.hpp"

namespace ofs::storage {

template <class T>
using task = boost::asio::awaitable<result<T>>;

enum class storage_error {
  unavailable = 1,  // cannot reach or open the database
  failed,           // a statement failed (logged with the database's message)
  bad_schema,       // the database is newer than this program, or a migration failed
  no_account,       // a write for an owner that has no account (nothing was stored)
};
const boost::system::error_category& storage_category();
inline error_code make_error_code(storage_error e) { return {static_cast<int>(e), storage_category()}; }

// RFC 6121 subscription state of one roster item, from the owner's side.
enum class subscription { none, to, from, both, remove };

struct roster_item {
  core::jid contact;  // bare
  std::string name;
  subscription sub = subscription::none;
  bool ask_out = false;             // owner sent subscribe, no answer yet ("pending out")
  bool pending_in = false;          // contact sent subscribe, owner has not answered ("pending in")
  bool approved = false;            // owner pre-approved the contact's subscription
  std::vector<std::string> groups;  // stored without duplicates, in the given order
  friend bool operator==(const roster_item&, const roster_item&) = default;
};

struct roster {
  std::uint64_t version = 0;  // grows on every change (XEP-0237)
  std::vector<roster_item> items;
};

struct offline_message {
  std::int64_t id = 0;  // increases in arrival order
  std::string xml;      // the stanza as serialized, delay stamp included
};

// One message in a user's archive (XEP-0313). seq orders the archive: microseconds since
// the Unix epoch when archived, unique per owner.
struct archived_message {
  std::int64_t seq = 0;
  std::string id;             // the XEP-0359 stanza id, unique per owner
  std::string with;           // the other party's bare JID
  std::string with_resource;  // and its resource, "" if none
  std::string xml;            // the message as routed, without the archive's own stanza-id
};

// A page of an archive. Filters first (with, [min_seq, max_seq]); the page is then the
// first `max` rows after `after` (forward), or the last `max` before `before` when
// from_end (RSM <before/>, empty or not). `must_exist` are (seq, id) pairs the client
// named; if one is not in the archive the page comes back with missing_ref set.
struct archive_query {
  std::string with;           // bare JID; "" for everyone
  std::string with_resource;  // "" for any resource
  std::int64_t min_seq = 0;
  std::int64_t max_seq = INT64_MAX;
  std::optional<std::int64_t> after, before;  // exclusive
  bool from_end = false;
  std::size_t max = 50;
  std::vector<std::pair<std::int64_t, std::string>> must_exist;
};

struct archive_page {
  std::vector<archived_message> items;  // oldest first
  bool complete = false;                // nothing more in the paging direction
  std::uint64_t count = 0;              // rows matching the filters
  bool missing_ref = false;
};

// One XCAP document (RFC 4825) of a user, other than the roster-backed resource list.
struct xcap_document {
  std::string auid;  // application usage, e.g. "pres-rules"
  std::string name;  // path below users/<xui>/, e.g. "index"
  std::string body;  // UTF-8 XML as last written
  std::string etag;  // strong entity tag, changed on every write
  friend bool operator==(const xcap_document&, const xcap_document&) = default;
};

// A persistent multi-user chat room (XEP-0045): its configuration (the muc#roomconfig submit
// form, serialized), affiliations and recent history, kept by the MUC service.
struct muc_affiliation {
  core::jid who;            // bare
  std::string affiliation;  // owner, admin, member, outcast
  std::string nick;         // a reserved nickname, or ""
  std::string reason;
  friend bool operator==(const muc_affiliation&, const muc_affiliation&) = default;
};

struct muc_message {
  std::string xml;  // the groupchat message as broadcast, without 'to'
  std::chrono::system_clock::time_point at;
};

struct muc_room {
  core::jid room;  // bare: name@service
  std::string config;
  std::string subject, subject_by;            // subject_by: the nick that set it, "" for the room
  std::vector<muc_affiliation> affiliations;  // sorted by JID
  std::vector<muc_message> history;           // oldest first
};

class store {
public:
  virtual ~store() = default;

  // At shutdown, from a thread that is not an I/O thread, once nothing new is asked: waits
  // until the deadline for the calls in flight; past it they fail with unavailable. Bounded
  // even when the database does not answer. The store is destroyed afterwards.
  virtual void close(std::chrono::steady_clock::time_point deadline) { (void)deadline; }

  // Accounts, keyed by bare JID (a full JID is reduced to its bare form, here and below).
  // create returns false when the account already exists; set_credentials and remove return
  // false when it does not. Credentials hold one entry per hash (the last given wins), sorted
  // sha1 first; list_accounts sorts by domain, then node.
  virtual task<bool> create_account(core::jid account, std::vector<auth::scram_credentials> creds) = 0;
  virtual task<bool> set_credentials(core::jid account, std::vector<auth::scram_credentials> creds) = 0;
  virtual task<bool> remove_account(core::jid account) = 0;  // and its roster, offline and private data
  virtual task<std::optional<std::vector<auth::scram_credentials>>> get_credentials(core::jid account) = 0;
  virtual task<std::vector<core::jid>> list_accounts(std::string domain) = 0;  // "" lists every domain

  // Rosters, items sorted by contact. put and remove return the roster's new version; a put
  // with subscription::remove removes; removing an absent contact keeps the version.
  // For an owner without an account, reads give empty results and deletes do nothing, while
  // writes that would store something give storage_error::no_account.
  virtual task<roster> load_roster(core::jid owner) = 0;
  virtual task<std::uint64_t> put_roster_item(core::jid owner, roster_item item) = 0;
  virtual task<std::uint64_t> remove_roster_item(core::jid owner, core::jid contact) = 0;

  // Offline messages. store returns false (and stores nothing) when the owner already has
  // `quota` messages waiting. delete removes every message with id <= up_to.
  virtual task<bool> store_offline(core::jid owner, std::string xml, std::size_t quota) = 0;
  virtual task<std::vector<offline_message>> load_offline(core::jid owner) = 0;
  virtual task<void> delete_offline(core::jid owner, std::int64_t up_to) = 0;

  // A per-user key-value store for private data (XEP-0049, vCards, block lists...).
  virtual task<std::optional<std::string>> get_private(core::jid owner, std::string key) = 0;
  virtual task<void> put_private(core::jid owner, std::string key, std::string value) = 0;

  // Message archives (XEP-0313). append gives no_account when the owner has none; expire
  // deletes every row with seq < before, over all owners, and returns how many.
  virtual task<void> append_archive(core::jid owner, archived_message m) = 0;
  virtual task<archive_page> query_archive(core::jid owner, archive_query q) = 0;
  virtual task<std::uint64_t> expire_archive(std::int64_t before) = 0;
  // XCAP documents, keyed by (owner, auid, name); list sorts by auid, then name. put
  // replaces; for an owner without an account it gives storage_error::no_account.
  virtual task<std::optional<xcap_document>> get_xcap_document(core::jid owner, std::string auid,
                                                               std::string name) = 0;
  virtual task<void> put_xcap_document(core::jid owner, xcap_document doc) = 0;
  virtual task<bool> delete_xcap_document(core::jid owner, std::string auid, std::string name) = 0;
  virtual task<std::vector<xcap_document>> list_xcap_documents(core::jid owner) = 0;
  // Multi-user chat rooms. save creates the room or replaces its configuration and
  // affiliations (its history stays); add_muc_history appends a message and keeps the newest
  // `keep` (a room never saved: storage_error::no_account); remove deletes the room, its
  // affiliations and history (false when absent); load gives the rooms of one service domain
  // ("" every domain) sorted by JID, their history in order.
  virtual task<void> save_muc_room(muc_room room) = 0;
  virtual task<void> add_muc_history(core::jid room, muc_message m, std::size_t keep) = 0;
  virtual task<bool> remove_muc_room(core::jid room) = 0;
  virtual task<std::vector<muc_room>> load_muc_rooms(std::string domain) = 0;
  // A room's archive (XEP-0313): the archive's rows and paging, keyed by a saved room (else
  // append stores nothing and gives no_account, query an empty page); a batch is written at
  // once or not at all. Removing the room removes it; expire_archive expires it too.
  virtual task<void> append_muc_archive(core::jid room, std::vector<archived_message> batch) = 0;
  virtual task<archive_page> query_muc_archive(core::jid room, archive_query q) = 0;
  // The secret of a MUC service's occupant ids (XEP-0421): the stored one, or `candidate`
  // once stored, so that ids stay the same across restarts.
  virtual task<std::string> muc_service_secret(std::string domain, std::string candidate) = 0;

  // Answers when the database is reachable; used by health checks and `ofsctl check`.
  virtual task<void> ping() = 0;
};

}  // namespace ofs::storage

template <>
struct boost::system::is_error_code_enum<ofs::storage::storage_error> : std::true_type {};
