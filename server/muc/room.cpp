#include "server/muc/room.hpp"

#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::muc {

room::room(room_host& host, core::jid jid, room_config config)
    : host_(host), jid_(std::move(jid)), config_(std::move(config)), history_(config_.history_length) {}

void room::set_config(room_config c) {
  config_ = std::move(c);
  history_.set_capacity(config_.history_length);
}

void room::create_by(const core::stanza& join) {
  affiliations_[join.from().bare()] = {affiliation::owner, {}, {}};
  locked_ = join.xml().child("x", muc_ns) != nullptr;
  just_created_ = true;
}

void room::restore_history(core::stanza message, sys_clock::time_point at) {
  history_.add(std::move(message), at);
}

affiliation room::affiliation_of(const core::jid& real) const {
  if (host_.is_service_admin(real)) return affiliation::owner;
  auto it = affiliations_.find(real.bare());
  return it == affiliations_.end() ? affiliation::none : it->second.a;
}

occupant* room::find_by_real(const core::jid& real) {
  auto it = nick_of_.find(real.str());
  return it == nick_of_.end() ? nullptr : find_by_nick(it->second);
}

occupant* room::find_by_nick(const std::string& nick) {
  auto it = occupants_.find(nick);
  return it == occupants_.end() ? nullptr : &it->second;
}

void room::send(core::element e) { host_.send(im::make_stanza(std::move(e))); }

void room::error(const core::stanza& s, core::condition c, std::string text) {
  host_.bounce(s, core::stanza_error(c, std::nullopt, std::move(text)));
}

void room::handle(core::stanza s) {
  if (destroyed_) return error(s, core::condition::item_not_found);
  switch (s.kind()) {
    case core::stanza_kind::presence: return on_presence(s);
    case core::stanza_kind::message: return on_message(s);
    case core::stanza_kind::iq: return on_iq(s);
    case core::stanza_kind::other: return;
  }
}

void room::broadcast(core::element e) {
  core::stanza proto = im::make_stanza(std::move(e));
  proto.share_payload(std::make_shared<const std::string>(xml::serialize_children(proto.xml())));
  for (const auto& [nick, o] : occupants_) {
    core::stanza copy = proto;
    copy.set_to(o.real);
    host_.send(std::move(copy));
  }
}

std::optional<core::stanza_error> room::change_affiliation(const core::jid& who_in, affiliation to,
                                                           std::string reason,
                                                           const std::string& actor_nick) {
  const core::jid who = who_in.bare();
  auto it = affiliations_.find(who);
  const affiliation from = it == affiliations_.end() ? affiliation::none : it->second.a;
  if (from == affiliation::owner && to != affiliation::owner) {
    std::size_t owners = 0;
    for (const auto& [j, e] : affiliations_) owners += e.a == affiliation::owner;
    if (owners <= 1)
      return core::stanza_error(core::condition::conflict, std::nullopt, "A room keeps at least one owner");
  }
  if (to == affiliation::none) {
    if (it != affiliations_.end()) affiliations_.erase(it);
  } else {
    auto& entry = affiliations_[who];
    entry.a = to;
    entry.reason = std::move(reason);
  }
  host_.persist(*this);
  // Occupants with that bare JID: out, or with their new affiliation and role.
  std::vector<std::string> affected;
  for (const auto& [nick, o] : occupants_)
    if (o.real.bare() == who) affected.push_back(nick);
  for (const auto& nick : affected) {
    if (to == affiliation::outcast) {
      remove_occupant(nick, {301}, actor_nick, "");
    } else if (config_.members_only && to == affiliation::none) {
      remove_occupant(nick, {321}, actor_nick, "");
    } else {
      occupant& o = occupants_.at(nick);
      o.r = default_role(to, config_.moderated);
      broadcast_presence(o, {});
    }
  }
  return std::nullopt;
}

void room::destroy(std::string reason, std::optional<core::jid> alternate, std::string alternate_password) {
  core::element d("destroy", std::string(muc_user_ns));
  if (alternate) d.set_attr("jid", alternate->str());
  if (!reason.empty()) d.add_child(core::element("reason", std::string(muc_user_ns))).add_text(reason);
  if (!alternate_password.empty())
    d.add_child(core::element("password", std::string(muc_user_ns))).add_text(alternate_password);
  for (const auto& [nick, o] : occupants_) {
    core::element p = presence_of(o, false, {}, "unavailable");
    p.child("x", muc_user_ns)->add_child(d);
    p.set_attr("to", o.real.str());
    send(std::move(p));
    host_.occupant_left(o.real, jid_);
  }
  occupants_.clear();
  nick_of_.clear();
  destroyed_ = true;
  host_.forget(*this);
}

void room::occupant_gone(const core::jid& real) {
  if (occupant* o = find_by_real(real)) leave(*o, {});
}

}  // namespace ofs::muc
