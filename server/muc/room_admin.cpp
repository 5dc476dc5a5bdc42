// room: IQs addressed to the room or to an occupant, and the muc#admin use cases (XEP-0045
// sections 8 and 9): kick, voice, moderator, ban, membership, and the lists behind them.
#include "server/im/archive.hpp"
#include "server/im/disco.hpp"
#include "server/im/feature_support.hpp"
#include "server/muc/nickname.hpp"
#include "server/muc/room.hpp"

namespace ofs::muc {
namespace {
constexpr std::string_view ping_ns = "urn:xmpp:ping";
}

void room::on_iq(core::stanza& s) {
  if (!s.to().resource().empty()) return occupant_iq(s);
  if (!im::is_request(s)) return;  // results and errors to the room itself answer nothing
  const core::element* q = im::payload(s);
  const std::string_view ns = q ? std::string_view(q->xmlns()) : std::string_view();
  if (ns == muc_admin_ns) return admin_iq(s);
  if (ns == muc_owner_ns) return owner_iq(s);
  if (ns == im::disco_info_ns && s.type() == "get") return disco_info(s);
  if (ns == im::disco_items_ns && s.type() == "get") return disco_items(s);
  if (ns == ping_ns && s.type() == "get") return host_.send(im::make_result(s));
  if (ns == im::mam_ns) return mam_iq(s);
  error(s, core::condition::service_unavailable);
}

// XEP-0410: a ping to one's own occupant JID tells whether one is still in the room; other
// IQs to an occupant go to its session (vCards, versions), and their answers come back.
void room::occupant_iq(core::stanza& s) {
  occupant* from = find_by_real(s.from());
  auto nick = prepare_nickname(s.to().resource());
  occupant* to = nick ? find_by_nick(*nick) : nullptr;
  const core::element* q = im::payload(s);
  if (q && q->xmlns() == ping_ns && s.type() == "get") {
    if (!from) return error(s, core::condition::not_acceptable, "You are not an occupant of this room");
    if (!to) return error(s, core::condition::item_not_found, "No occupant has this nickname");
    return host_.send(im::make_result(s));
  }
  if (!from) return error(s, core::condition::not_acceptable, "Only occupants may query occupants");
  if (!to) return error(s, core::condition::item_not_found, "No occupant has this nickname");
  core::element fwd = s.xml();
  fwd.set_attr("from", occupant_jid(from->nick).str());
  fwd.set_attr("to", to->real.str());
  send(std::move(fwd));
}

void room::admin_iq(core::stanza& s) {
  const core::element* q = im::payload(s);
  if (s.type() == "get") return admin_get(s, *q);
  admin_set(s, *q);
}

void room::admin_get(core::stanza& s, const core::element& query) {
  const core::element* item = query.child("item", muc_admin_ns);
  if (!item) return error(s, core::condition::bad_request, "The query needs an <item/>");
  const affiliation actor = affiliation_of(s.from());
  const occupant* me = find_by_real(s.from());
  core::element out("query", std::string(muc_admin_ns));
  if (auto a = affiliation_from_string(item->attr("affiliation"))) {
    if (actor < affiliation::admin)
      return error(s, core::condition::forbidden, "Only admins and owners see these lists");
    for (const auto& [who, e] : affiliations_) {
      if (e.a != *a) continue;
      core::element& i = out.add_child(core::element("item", std::string(muc_admin_ns)));
      i.set_attr("affiliation", std::string(to_string(e.a)));
      i.set_attr("jid", who.str());
      if (!e.nick.empty()) i.set_attr("nick", e.nick);
      if (!e.reason.empty())
        i.add_child(core::element("reason", std::string(muc_admin_ns))).add_text(e.reason);
    }
  } else if (auto r = role_from_string(item->attr("role"))) {
    if (!me || me->r != role::moderator)
      return error(s, core::condition::forbidden, "Only moderators see these lists");
    for (const auto& [nick, o] : occupants_) {
      if (o.r != *r) continue;
      core::element& i = out.add_child(core::element("item", std::string(muc_admin_ns)));
      i.set_attr("role", std::string(to_string(o.r)));
      i.set_attr("nick", nick);
      i.set_attr("jid", o.real.str());
      i.set_attr("affiliation", std::string(to_string(affiliation_of(o.real))));
    }
  } else {
    return error(s, core::condition::bad_request, "The <item/> needs a valid affiliation or role");
  }
  host_.send(im::make_result(s, std::move(out)));
}

void room::admin_set(core::stanza& s, const core::element& query) {
  const affiliation actor = affiliation_of(s.from());
  const occupant* me = find_by_real(s.from());
  const role actor_role = me ? me->r : role::none;
  const std::string actor_nick = me ? me->nick : std::string();
  struct role_change {
    std::string nick;
    role to;
    std::string reason;
  };
  struct affiliation_change {
    core::jid who;
    affiliation to;
    std::string reason;
  };
  std::vector<role_change> roles;
  std::vector<affiliation_change> affiliations;
  // Every item is checked before any is applied: a refused item changes nothing.
  for (const auto& item : query.children()) {
    if (item.name() != "item" || item.xmlns() != muc_admin_ns) continue;
    std::string reason = item.child_text("reason", muc_admin_ns);
    if (item.has_attr("affiliation")) {
      auto to = affiliation_from_string(item.attr("affiliation"));
      if (!to) return error(s, core::condition::bad_request, "Unknown affiliation");
      std::optional<core::jid> who;
      if (item.has_attr("jid")) {
        auto j = core::jid::parse(item.attr("jid"));
        if (!j) return error(s, core::condition::jid_malformed, "The item's jid is not valid");
        who = j->bare();
      } else if (auto nick = prepare_nickname(item.attr("nick")); nick && find_by_nick(*nick)) {
        who = find_by_nick(*nick)->real.bare();
      }
      if (!who)
        return error(s, core::condition::bad_request, "The item needs a jid (or the nick of an occupant)");
      auto it = affiliations_.find(*who);
      const affiliation from = it == affiliations_.end() ? affiliation::none : it->second.a;
      if (!may_set_affiliation(actor, from, *to))
        return error(s,
                     actor >= affiliation::admin ? core::condition::not_allowed : core::condition::forbidden,
                     "You may not change this affiliation");
      affiliations.push_back({*who, *to, std::move(reason)});
    } else if (item.has_attr("role")) {
      auto to = role_from_string(item.attr("role"));
      if (!to) return error(s, core::condition::bad_request, "Unknown role");
      auto nick = prepare_nickname(item.attr("nick"));
      occupant* target = nick ? find_by_nick(*nick) : nullptr;
      if (!target) return error(s, core::condition::item_not_found, "No occupant has this nickname");
      if (actor_role != role::moderator)
        return error(s, core::condition::forbidden, "Only moderators change roles");
      if (!may_set_role(actor, actor_role, affiliation_of(target->real), target->r, *to))
        return error(s, core::condition::not_allowed, "You may not change the role of this occupant");
      roles.push_back({*nick, *to, std::move(reason)});
    } else {
      return error(s, core::condition::bad_request, "An item needs an affiliation or a role");
    }
  }
  for (auto& c : affiliations)
    if (auto e = change_affiliation(c.who, c.to, std::move(c.reason), actor_nick)) return host_.bounce(s, *e);
  for (auto& c : roles)
    if (occupant* target = find_by_nick(c.nick)) set_role(*target, c.to, actor_nick, c.reason);
  host_.send(im::make_result(s));
}

void room::set_role(occupant& target, role to, const std::string& actor, const std::string& reason) {
  if (to == role::none) return remove_occupant(target.nick, {307}, actor, reason);
  target.r = to;
  broadcast_presence(target, {}, {}, {{}, actor, reason});
}

}  // namespace ofs::muc
