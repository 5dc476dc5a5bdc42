// room: entering, presence updates, nickname changes and leaving (XEP-0045 7.1 to 7.14).
#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/muc/nickname.hpp"
#include "server/muc/room.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::muc {
namespace {

// What the room keeps of a client's presence: show, status, priority, caps; not its MUC
// payloads, which the room writes itself.
core::element kept_presence(const core::element& in) {
  core::element p("presence", std::string(core::ns::client));
  for (const auto& c : in.children()) {
    if (c.is_text()) continue;
    if (c.xmlns() == muc_ns || c.xmlns() == muc_user_ns || c.xmlns() == occupant_id_ns) continue;
    p.add_child(c);
  }
  return p;
}

void add_status(core::element& x, int code) {
  x.add_child(core::element("status", std::string(muc_user_ns))).set_attr("code", std::to_string(code));
}

}  // namespace

bool room::sees_real_jids(const occupant& viewer) const {
  return config_.non_anonymous || viewer.r == role::moderator;
}

core::element room::presence_of(const occupant& o, bool with_jid, const std::vector<int>& codes,
                                std::string_view type, const item_notes& notes) const {
  core::element p("presence", std::string(core::ns::client));
  if (type.empty()) {
    p = o.presence;
  } else if (const core::element* status = o.presence.child("status"); status && type == "unavailable") {
    p.add_child(*status);  // a leave's status text (leave() keeps only that)
  }
  p.set_attr("from", occupant_jid(o.nick).str());
  if (!type.empty()) p.set_attr("type", std::string(type));
  core::element& x = p.add_child(core::element("x", std::string(muc_user_ns)));
  core::element& item = x.add_child(core::element("item", std::string(muc_user_ns)));
  auto it = affiliations_.find(o.real.bare());
  const affiliation a = host_.is_service_admin(o.real) ? affiliation::owner
                        : it == affiliations_.end()    ? affiliation::none
                                                       : it->second.a;
  item.set_attr("affiliation", std::string(to_string(a)));
  item.set_attr("role", std::string(to_string(type == "unavailable" ? role::none : o.r)));
  if (with_jid) item.set_attr("jid", o.real.str());
  if (!notes.nick.empty()) item.set_attr("nick", notes.nick);
  if (!notes.actor.empty())
    item.add_child(core::element("actor", std::string(muc_user_ns))).set_attr("nick", notes.actor);
  if (!notes.reason.empty())
    item.add_child(core::element("reason", std::string(muc_user_ns))).add_text(notes.reason);
  for (int c : codes) add_status(x, c);
  p.add_child(core::element("occupant-id", std::string(occupant_id_ns))).set_attr("id", o.id);
  return p;
}

void room::broadcast_presence(const occupant& o, std::vector<int> codes, std::string_view type,
                              const item_notes& notes, std::vector<int> self_codes) {
  std::optional<core::stanza> variants[2];  // [with_jid]
  for (const auto& [nick, viewer] : occupants_) {
    if (&viewer == &o) continue;
    const bool with_jid = sees_real_jids(viewer);
    auto& v = variants[with_jid];
    if (!v) {
      v = im::make_stanza(presence_of(o, with_jid, codes, type, notes));
      v->share_payload(std::make_shared<const std::string>(xml::serialize_children(v->xml())));
    }
    core::stanza copy = *v;
    copy.set_to(viewer.real);
    host_.send(std::move(copy));
  }
  codes.insert(codes.begin(), self_codes.begin(), self_codes.end());
  codes.push_back(110);
  core::element self = presence_of(o, true, codes, type, notes);
  self.set_attr("to", o.real.str());
  send(std::move(self));
}

void room::on_presence(core::stanza& s) {
  const std::string_view type = s.type();
  occupant* o = find_by_real(s.from());
  if (type == "unavailable" || type == "error") {  // an error: the client is gone (a ghost)
    if (o) leave(*o, type == "error" ? std::string() : s.xml().child_text("status"));
    return;
  }
  if (!type.empty()) return;  // subscriptions and probes mean nothing to a room
  if (s.to().resource().empty())
    return error(s, core::condition::jid_malformed, "Entering a room needs a nickname");
  auto nick = prepare_nickname(s.to().resource());
  if (!nick) return error(s, core::condition::jid_malformed, "This nickname is not allowed");
  if (!o) return join(s, std::move(*nick));
  if (*nick != o->nick) return change_nick(*o, s, std::move(*nick));
  update_presence(*o, s);
}

void room::join(core::stanza& s, std::string nick) {
  const affiliation a = affiliation_of(s.from());
  if (locked_ && a != affiliation::owner)
    return error(s, core::condition::item_not_found, "This room is locked until its owner configures it");
  if (a == affiliation::outcast) return error(s, core::condition::forbidden, "You are banned from this room");
  if (config_.members_only && a < affiliation::member)
    return error(s, core::condition::registration_required, "This room is for members only");
  const core::element* x = s.xml().child("x", muc_ns);
  if (config_.password_protected && (!x || x->child_text("password", muc_ns) != config_.password))
    return error(s, core::condition::not_authorized, "This room needs the right password");
  if (find_by_nick(nick)) return error(s, core::condition::conflict, "This nickname is in use in the room");
  for (const auto& [who, e] : affiliations_)
    if (e.nick == nick && who != s.from().bare())
      return error(s, core::condition::conflict, "This nickname is reserved by a member of the room");
  const std::size_t limit = std::min(config_.max_occupants, host_.max_occupants());
  if (occupants_.size() >= limit && a < affiliation::admin)
    return error(s, core::condition::service_unavailable, "The room is full");

  occupant o{nick, s.from(), default_role(a, config_.moderated), host_.occupant_id(jid_, s.from()),
             kept_presence(s.xml())};
  occupant& in = occupants_.emplace(nick, std::move(o)).first->second;
  nick_of_[s.from().str()] = nick;
  host_.occupant_joined(s.from(), jid_);
  const bool see = sees_real_jids(in);
  for (const auto& [other_nick, other] : occupants_) {
    if (&other == &in) continue;
    core::element p = presence_of(other, see, {});
    p.set_attr("to", in.real.str());
    send(std::move(p));
  }
  std::vector<int> self_codes;
  if (config_.non_anonymous) self_codes.push_back(100);
  if (just_created_) self_codes.push_back(201);
  just_created_ = false;
  broadcast_presence(in, {}, {}, {}, std::move(self_codes));
  send_history_and_subject(in, s);
}

void room::send_history_and_subject(const occupant& o, const core::stanza& join) {
  const auto request = parse_history_request(join.xml().child("x", muc_ns));
  for (const history_entry* e : history_.select(request, sys_clock::now()))
    host_.send(delayed_copy(*e, jid_, o.real));
  core::element m("message", std::string(core::ns::client));
  m.set_attr("type", "groupchat");
  m.set_attr("from", subject_by_.empty() ? jid_.str() : occupant_jid(subject_by_).str());
  m.set_attr("to", o.real.str());
  m.add_child(core::element("subject", std::string(core::ns::client))).add_text(subject_);
  send(std::move(m));
}

void room::change_nick(occupant& o, core::stanza& s, std::string nick) {
  if (find_by_nick(nick)) return error(s, core::condition::conflict, "This nickname is in use in the room");
  for (const auto& [who, e] : affiliations_)
    if (e.nick == nick && who != s.from().bare())
      return error(s, core::condition::conflict, "This nickname is reserved by a member of the room");
  broadcast_presence(o, {303}, "unavailable", {nick, {}, {}});
  occupant moved = std::move(o);
  occupants_.erase(moved.nick);
  moved.nick = nick;
  moved.presence = kept_presence(s.xml());
  nick_of_[moved.real.str()] = nick;
  occupant& now = occupants_.emplace(nick, std::move(moved)).first->second;
  broadcast_presence(now, {});
}

void room::update_presence(occupant& o, core::stanza& s) {
  o.presence = kept_presence(s.xml());
  broadcast_presence(o, {});
}

void room::leave(occupant& o, const std::string& status) {
  o.presence = core::element("presence", std::string(core::ns::client));
  if (!status.empty())
    o.presence.add_child(core::element("status", std::string(core::ns::client))).add_text(status);
  broadcast_presence(o, {}, "unavailable");
  host_.occupant_left(o.real, jid_);
  nick_of_.erase(o.real.str());
  occupants_.erase(std::string(o.nick));
  drop_if_empty();
}

void room::drop_if_empty() {
  if (!occupants_.empty() || config_.persistent || destroyed_) return;
  destroyed_ = true;  // a temporary room ends with its last occupant (XEP-0045 10.9)
  host_.forget(*this);
}

void room::remove_occupant(const std::string& nick, std::vector<int> codes, const std::string& actor,
                           const std::string& reason) {
  occupant* o = find_by_nick(nick);
  if (!o) return;
  o->presence = core::element("presence", std::string(core::ns::client));
  broadcast_presence(*o, std::move(codes), "unavailable", {{}, actor, reason});
  host_.occupant_left(o->real, jid_);
  nick_of_.erase(o->real.str());
  occupants_.erase(std::string(nick));
  drop_if_empty();
}

}  // namespace ofs::muc
