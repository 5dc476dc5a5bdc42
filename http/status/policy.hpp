#pragma once
// Who sees what: the facts of one user that decide it (pres-rules, block list, subscribers,
// offline note), read from the store the same way whether or not the account exists, and
// the snapshot a viewer gets. An account that does not exist has no documents and no
// sessions, so it is judged like an existing one without any: the answer cannot tell them apart.
#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "render/status_image.hpp"
#include "server/core/result.hpp"
#include "server/core/session_registry.hpp"
#include "server/im/block_cache.hpp"
#include "server/storage/store.hpp"
#include "xcap/pres_rules.hpp"

namespace ofs::http::status {

struct user_facts {
  xcap::web_viewers rules;
  im::block_list blocked;
  std::vector<core::jid> subscribers;  // roster contacts with a 'from' or 'both' subscription
  std::string offline_note;            // the pidf-manipulation note, shown while offline
};

// Four reads, always all four: pres-rules, block list, roster, note.
boost::asio::awaitable<result<user_facts>> load_facts(storage::store& store, core::jid user);
// The same from the documents' text (tests, and load_facts).
user_facts facts_of(std::string_view pres_rules, std::string_view block_list, const storage::roster& roster,
                    std::string note);

enum class sight { hidden, as_offline, full };
// viewer: the bare JID of a verified token, nullopt for an anonymous web viewer.
// public_by_default: anonymous viewers see users who did not opt out ([sis] opt-in default).
sight sight_of(const user_facts& f, const core::jid& user, const std::optional<core::jid>& viewer,
               bool public_by_default);

// What the viewer sees, from the user's bound resources: the available one of highest
// priority (its <show/> and <status/>); none available (or only invisible ones) is offline
// with the offline note.
render::snapshot snapshot_of(const std::vector<core::bound_resource>& resources, sight s,
                             const std::string& offline_note);

}  // namespace ofs::http::status
