#pragma once
// The user's default resource-list document ("buddies", and "oma_buddylist") is the XMPP
// roster: generated from it on every read, and every write becomes roster changes (pushes to
// online resources, subscription requests for new contacts, unsubscriptions for removed
// ones, RFC 6121 2.5 and 3.1). Its ETag is the roster version (XEP-0237). Groups are lists;
// contacts without a group are in the list without a name.
#include <libxml/tree.h>

#include <boost/asio/awaitable.hpp>
#include <map>
#include <string>
#include <variant>
#include <vector>

#include "server/core/jid.hpp"
#include "server/core/result.hpp"
#include "server/storage/store.hpp"
#include "xcap/errors.hpp"

namespace ofs::im {
class service;
}

namespace ofs::xcap {

std::string roster_etag(std::uint64_t version);
// The resource-lists document of the roster's listed items.
std::string roster_to_document(const storage::roster& r);

struct wanted_contact {
  std::string name;
  std::vector<std::string> groups;  // in document order, without duplicates
};
using wanted_roster = std::map<core::jid, wanted_contact>;

// The contacts a (schema-valid) document lists: entry URIs "xmpp:user@domain" or a bare
// JID; anything else is refused with constraint-failure. Nested lists flatten into their
// outermost list's name.
std::variant<wanted_roster, conflict> contacts_of(xmlDoc* doc);

struct roster_snapshot {
  std::string body, etag;
};
// On the owner's shard: the document now; nullopt when the store failed.
boost::asio::awaitable<std::optional<roster_snapshot>> load_roster_document(im::service& svc,
                                                                            core::jid owner);
// On the owner's shard: changes the roster to `wanted`; the new snapshot, or nullopt when
// the store failed (changes made before the failure stay, each pushed).
boost::asio::awaitable<std::optional<roster_snapshot>> apply_roster_document(im::service& svc,
                                                                             core::jid owner,
                                                                             wanted_roster wanted);

}  // namespace ofs::xcap
