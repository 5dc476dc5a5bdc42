// room: groupchat messages and the subject, private messages between occupants, mediated
// invitations and declines (XEP-0045 7.4, 7.5, 7.8, 8.1). XEP-0249 direct invitations go from
// user to user and never pass here.
#include "server/im/feature_support.hpp"
#include "server/muc/nickname.hpp"
#include "server/muc/room.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::muc {

void room::on_message(core::stanza& s) {
  const std::string_view type = s.type();
  if (type == "error") return;  // an occupant's client bouncing a broadcast: nothing to answer
  occupant* from = find_by_real(s.from());
  if (!s.to().resource().empty()) {
    if (type == "groupchat")
      return error(s, core::condition::bad_request,
                   "A groupchat message goes to the room, not to an occupant");
    if (!from) return error(s, core::condition::not_acceptable, "Only occupants may send private messages");
    return private_message(*from, s);
  }
  if (const core::element* x = s.xml().child("x", muc_user_ns)) {
    if (x->child("invite", muc_user_ns)) {
      if (!from) return error(s, core::condition::not_acceptable, "Only occupants may invite");
      return invite(*from, s, *x);
    }
    if (x->child("decline", muc_user_ns)) return decline(s, *x);
  }
  if (type != "groupchat")
    return error(s, core::condition::bad_request, "Messages to the room are of type groupchat");
  if (!from) return error(s, core::condition::not_acceptable, "Only occupants may send messages to the room");
  groupchat(*from, s);
}

void room::groupchat(occupant& from, core::stanza& s) {
  if (from.r < role::participant)
    return error(s, core::condition::forbidden, "Visitors may not speak in a moderated room");
  const core::element& in = s.xml();
  const core::element* subject = in.child("subject");
  const bool has_body = in.child("body") != nullptr;
  if (subject && !has_body) {
    if (from.r != role::moderator && !config_.change_subject)
      return error(s, core::condition::forbidden, "Only moderators may change the subject of this room");
    subject_ = subject->text();
    subject_by_ = from.nick;
    host_.persist(*this);  // a persistent room keeps its subject across restarts
  }
  core::element m("message", std::string(core::ns::client));
  m.set_attr("type", "groupchat");
  m.set_attr("from", occupant_jid(from.nick).str());
  for (const auto& a : in.attributes())
    if (a.name == "id" || a.name == "xml:lang") m.set_attr(a.name, a.value);
  for (const auto& c : in.children())
    if (!c.is_text() && c.xmlns() != occupant_id_ns) m.add_child(c);  // a client cannot forge one
  m.add_child(core::element("occupant-id", std::string(occupant_id_ns))).set_attr("id", from.id);
  // Nor the room's stanza-id (XEP-0359 5): only the room's archive stamps one.
  im::strip_stanza_ids(m, jid_.bare_str());
  if (has_body && archives()) archive_message(from, m);
  core::stanza proto = im::make_stanza(std::move(m));
  proto.share_payload(std::make_shared<const std::string>(xml::serialize_children(proto.xml())));
  if (has_body) {
    history_.add(proto, sys_clock::now());
    if (!history_.entries().empty()) host_.persist_message(*this, history_.entries().back());
  }
  for (const auto& [nick, o] : occupants_) {
    core::stanza copy = proto;
    copy.set_to(o.real);
    host_.send(std::move(copy));
  }
}

void room::private_message(occupant& from, core::stanza& s) {
  if (!config_.allow_pm)
    return error(s, core::condition::not_allowed, "Private messages are off in this room");
  auto nick = prepare_nickname(s.to().resource());
  occupant* to = nick ? find_by_nick(*nick) : nullptr;
  if (!to) return error(s, core::condition::item_not_found, "No occupant has this nickname");
  core::element m = s.xml();
  m.set_attr("from", occupant_jid(from.nick).str());
  m.set_attr("to", to->real.str());
  if (!m.child("x", muc_user_ns)) m.add_child(core::element("x", std::string(muc_user_ns)));
  send(std::move(m));
}

void room::invite(occupant& from, core::stanza& s, const core::element& x) {
  const affiliation a = affiliation_of(from.real);
  if (config_.members_only && !config_.allow_invites && a < affiliation::admin)
    return error(s, core::condition::forbidden, "Only admins may invite to this room");
  std::vector<std::pair<core::jid, std::string>> invitees;
  for (const auto& inv : x.children()) {
    if (inv.name() != "invite" || inv.xmlns() != muc_user_ns) continue;
    auto to = core::jid::parse(inv.attr("to"));
    if (!to) return error(s, core::condition::jid_malformed, "An invitation needs a valid 'to'");
    invitees.emplace_back(*to, inv.child_text("reason", muc_user_ns));
  }
  bool changed = false;
  for (auto& [to, reason] : invitees) {
    // In a members-only room the invitation makes the invitee a member (XEP-0045 7.8.2).
    if (config_.members_only && affiliation_of(to) == affiliation::none) {
      affiliations_[to.bare()] = {affiliation::member, {}, {}};
      changed = true;
    }
    core::element m("message", std::string(core::ns::client));
    m.set_attr("from", jid_.str());
    m.set_attr("to", to.str());
    core::element& ux = m.add_child(core::element("x", std::string(muc_user_ns)));
    core::element& i = ux.add_child(core::element("invite", std::string(muc_user_ns)));
    i.set_attr("from", from.real.str());
    if (!reason.empty()) i.add_child(core::element("reason", std::string(muc_user_ns))).add_text(reason);
    if (config_.password_protected)
      ux.add_child(core::element("password", std::string(muc_user_ns))).add_text(config_.password);
    m.add_child(core::element("body", std::string(core::ns::client)))
        .add_text(from.real.bare_str() + " invites you to the room " + jid_.str() +
                  (reason.empty() ? "" : ": " + reason));
    send(std::move(m));
  }
  if (changed) host_.persist(*this);
}

void room::decline(core::stanza& s, const core::element& x) {
  const core::element* d = x.child("decline", muc_user_ns);
  auto to = core::jid::parse(d->attr("to"));
  if (!to) return error(s, core::condition::jid_malformed, "A decline needs a valid 'to'");
  core::element m("message", std::string(core::ns::client));
  m.set_attr("from", jid_.str());
  m.set_attr("to", to->str());
  core::element& out = m.add_child(core::element("x", std::string(muc_user_ns)))
                           .add_child(core::element("decline", std::string(muc_user_ns)));
  out.set_attr("from", s.from().bare_str());
  if (auto reason = d->child_text("reason", muc_user_ns); !reason.empty())
    out.add_child(core::element("reason", std::string(muc_user_ns))).add_text(reason);
  send(std::move(m));
}

}  // namespace ofs::muc
