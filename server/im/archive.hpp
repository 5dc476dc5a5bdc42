#pragma once
// XEP-0313 message archive of one-to-one messages, with XEP-0359 stanza ids and XEP-0441
// preferences. Both sides keep a copy: the sender's when its client sends (outbound hook),
// the receiver's when the router takes the message for a local account (full and bare
// hooks, after blocking). The stanza-id is stamped at once and delivery goes on; the write
// follows as a coroutine of its own, off the owner's shard, so that it never delays delivery
// nor the offline storage queued there. A failed write is logged and counted
// (ofs_archive_failures), not retried.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "server/core/endpoint.hpp"
#include "server/core/router.hpp"
#include "server/im/pending_writes.hpp"
#include "server/im/stanza_ids.hpp"
#include "server/storage/store.hpp"

namespace ofs::im {

class service;

inline constexpr std::string_view mam_ns = "urn:xmpp:mam:2";

// XEP-0441 archiving preferences of one account.
struct archive_prefs {
  enum class mode { always, never, roster };
  mode default_mode = mode::always;
  std::vector<std::string> always, never;  // bare JIDs, sorted, unique
};
std::optional<archive_prefs::mode> mode_of(std::string_view s);
std::string_view to_text(archive_prefs::mode m);
// From <prefs xmlns='urn:xmpp:mam:2'/>; nullopt when a default or a JID is invalid.
std::optional<archive_prefs> parse_prefs(const core::element& prefs);
core::element prefs_element(const archive_prefs& p);

// True for a message the archive keeps: chat, normal (or no type) with something worth
// storing (feature_support.hpp), neither a carbon copy nor an archive result itself.
bool archivable(const core::stanza& s);

class message_archive : public std::enable_shared_from_this<message_archive> {
public:
  explicit message_archive(service& svc);

  core::hook_result outbound(core::endpoint& from, core::stanza& s);  // the sender's copy
  core::hook_result finish_outbound(core::endpoint& from, core::stanza& s);
  core::hook_result inbound(core::stanza& s);  // the receiver's copy
  core::hook_result command(core::stanza& s);  // iq urn:xmpp:mam:2: query and prefs
  void start_retention();                      // the hourly expiry, when configured
  void stop();

  stanza_ids& ids() { return ids_; }

private:
  enum class verdict { archive, skip, ask_store };
  verdict cached_verdict(const core::jid& owner, const core::jid& with);
  void post_write(const core::jid& owner, const core::jid& with, storage::archived_message m);
  boost::asio::awaitable<void> write(core::jid owner, core::jid with, storage::archived_message m);
  boost::asio::awaitable<result<archive_prefs>> load_prefs(core::jid owner);
  boost::asio::awaitable<bool> wanted(core::jid owner, core::jid with, archive_prefs p);
  boost::asio::awaitable<void> answer_prefs(core::stanza s);
  boost::asio::awaitable<void> answer_query(core::stanza s);
  boost::asio::awaitable<void> retention_loop();
  void remember(const core::jid& owner, const archive_prefs& p);

  service& svc_;
  stanza_ids ids_;
  archive_prefs defaults_;
  std::mutex mutex_;
  std::unordered_map<std::string, archive_prefs> prefs_;  // by bare JID; bounded, see remember()
  std::shared_ptr<boost::asio::steady_timer> timer_;
  pending_writes writing_;  // queries wait for the owner's writes before them
};

void install_archive(service& svc);

}  // namespace ofs::im
