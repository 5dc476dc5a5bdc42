#pragma once
// One multi-user chat room (XEP-0045): its configuration, affiliations, occupants, subject
// and history, and the handling of every stanza addressed to it or to one of its occupants.
// Owned by the MUC service; touched only on its shard's strand, so it takes no lock. The
// handlers are split by concern: room_presence.cpp (enter, leave, nick changes),
// room_message.cpp, room_admin.cpp (muc#admin), room_owner.cpp (muc#owner), room_disco.cpp.
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/stanza.hpp"
#include "server/core/stanza_error.hpp"
#include "server/muc/history.hpp"
#include "server/muc/roles.hpp"
#include "server/muc/room_config.hpp"
#include "server/muc/room_host.hpp"

namespace ofs::muc {

struct occupant {
  std::string nick;
  core::jid real;  // the full JID of the session that entered
  role r = role::none;
  std::string id;          // XEP-0421, stable per room and bare JID
  core::element presence;  // the last available presence it sent, without the MUC payloads
};

// What an occupant's <item/> tells besides affiliation and role: a new nick (303), who acted
// and why (kicks, bans).
struct item_notes {
  std::string nick, actor, reason;
};

struct affiliation_entry {
  affiliation a = affiliation::none;
  std::string nick;  // a reserved nickname, or ""
  std::string reason;
};

class room {
public:
  room(room_host& host, core::jid jid, room_config config);

  const core::jid& jid() const { return jid_; }
  const room_config& config() const { return config_; }
  void set_config(room_config c);
  const std::map<core::jid, affiliation_entry>& affiliations() const { return affiliations_; }
  const muc::history& messages() const { return history_; }
  std::size_t occupant_count() const { return occupants_.size(); }
  const std::map<std::string, occupant>& occupants() const { return occupants_; }
  bool locked() const { return locked_; }
  bool empty() const { return occupants_.empty(); }
  bool destroyed() const { return destroyed_; }

  // Everything addressed to the room (bare) or to room/nick.
  void handle(core::stanza s);
  // Creating: the first occupant becomes owner; with a MUC <x/> the room stays locked
  // until it is configured (a reserved room), without one it is instant (XEP-0045 10.1).
  void create_by(const core::stanza& join);
  // Restoring a persistent room or one the configuration or an administrator creates.
  void restore_affiliation(const core::jid& who, affiliation_entry e) {
    affiliations_[who.bare()] = std::move(e);
  }
  void restore_history(core::stanza message, sys_clock::time_point at);
  void set_subject(std::string text, std::string by) {
    subject_ = std::move(text), subject_by_ = std::move(by);
  }
  const std::string& subject() const { return subject_; }
  const std::string& subject_by() const { return subject_by_; }
  // Messages are archived: a persistent room with archiving on, on a server that archives.
  bool archives() const { return config_.persistent && config_.archiving && host_.archive_enabled(); }
  // Administration (ofsctl) and the room's own IQs: changes an affiliation and applies it to
  // the occupants. Returns the error when not allowed (the last owner, an unknown value).
  std::optional<core::stanza_error> change_affiliation(const core::jid& who, affiliation to,
                                                       std::string reason, const std::string& actor_nick);
  // Every occupant leaves with the <destroy/> notice; the service forgets the room.
  void destroy(std::string reason, std::optional<core::jid> alternate, std::string alternate_password);
  // The session of `real` ended: it leaves with an unavailable presence.
  void occupant_gone(const core::jid& real);

  affiliation affiliation_of(const core::jid& real) const;

private:
  // room_presence.cpp
  void on_presence(core::stanza& s);
  void join(core::stanza& s, std::string nick);
  void change_nick(occupant& o, core::stanza& s, std::string nick);
  void update_presence(occupant& o, core::stanza& s);
  void leave(occupant& o, const std::string& status);
  // Removes `o` with an unavailable presence to every occupant carrying `codes` (307 kicked,
  // 301 banned, 321 affiliation, 322 members-only) and the actor's nick and reason.
  void remove_occupant(const std::string& nick, std::vector<int> codes, const std::string& actor,
                       const std::string& reason);
  // The presence of `o` as occupants see it: `with_jid` adds its real JID (non-anonymous
  // rooms, or moderators); `codes` are muc#user status codes.
  core::element presence_of(const occupant& o, bool with_jid, const std::vector<int>& codes,
                            std::string_view type = {}, const item_notes& notes = {}) const;
  // Sends `o`'s presence to every occupant (itself last, with 110): one variant with the real
  // JID and one without, each serialized once.
  void broadcast_presence(const occupant& o, std::vector<int> codes, std::string_view type = {},
                          const item_notes& notes = {}, std::vector<int> self_codes = {});
  bool sees_real_jids(const occupant& viewer) const;
  void drop_if_empty();
  void send_history_and_subject(const occupant& o, const core::stanza& join);

  // room_message.cpp
  void on_message(core::stanza& s);
  void groupchat(occupant& from, core::stanza& s);
  void private_message(occupant& from, core::stanza& s);
  void invite(occupant& from, core::stanza& s, const core::element& x);
  void decline(core::stanza& s, const core::element& x);
  // Fan-out of one element to every occupant: its payload serialized once.
  void broadcast(core::element e);

  // room_admin.cpp, room_owner.cpp, room_disco.cpp
  void on_iq(core::stanza& s);
  void admin_iq(core::stanza& s);
  void admin_get(core::stanza& s, const core::element& query);
  void admin_set(core::stanza& s, const core::element& query);
  void owner_iq(core::stanza& s);
  void disco_info(core::stanza& s);
  void disco_items(core::stanza& s);
  void mam_iq(core::stanza& s);  // room_archive.cpp
  // Stamps m (a groupchat message with a body) with the archive's stanza-id and archives it.
  void archive_message(const occupant& from, core::element& m);
  void occupant_iq(core::stanza& s);
  void set_role(occupant& target, role to, const std::string& actor, const std::string& reason);

  occupant* find_by_real(const core::jid& real);
  occupant* find_by_nick(const std::string& nick);
  core::jid occupant_jid(const std::string& nick) const { return jid_.with_resource(nick); }
  void send(core::element e);
  void error(const core::stanza& s, core::condition c, std::string text = {});

  room_host& host_;
  core::jid jid_;
  room_config config_;
  bool locked_ = false;
  bool just_created_ = false;  // the creator's join gets 201
  bool destroyed_ = false;
  std::map<core::jid, affiliation_entry> affiliations_;   // bare JIDs; "none" is not kept
  std::map<std::string, occupant> occupants_;             // by nick
  std::unordered_map<std::string, std::string> nick_of_;  // full JID -> nick
  muc::history history_;
  std::string subject_, subject_by_;
};

inline constexpr std::string_view muc_ns = "http://jabber.org/protocol/muc";
inline constexpr std::string_view muc_user_ns = "http://jabber.org/protocol/muc#user";
inline constexpr std::string_view muc_admin_ns = "http://jabber.org/protocol/muc#admin";
inline constexpr std::string_view muc_owner_ns = "http://jabber.org/protocol/muc#owner";
inline constexpr std::string_view occupant_id_ns = "urn:xmpp:occupant-id:0";

}  // namespace ofs::muc
