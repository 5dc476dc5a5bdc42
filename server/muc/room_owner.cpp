// room: the muc#owner use cases (XEP-0045 section 10): the configuration form (instant and
// reserved rooms), and destroying the room with an alternate venue.
#include "server/im/feature_support.hpp"
#include "server/muc/room.hpp"

namespace ofs::muc {

void room::owner_iq(core::stanza& s) {
  if (affiliation_of(s.from()) != affiliation::owner)
    return error(s, core::condition::forbidden, "Only owners configure or destroy the room");
  const core::element* q = im::payload(s);
  if (s.type() == "get") {
    core::element out("query", std::string(muc_owner_ns));
    out.add_child(make_config_form(config_, host_.max_occupants()));
    return host_.send(im::make_result(s, std::move(out)));
  }
  if (const core::element* d = q->child("destroy", muc_owner_ns)) {
    std::optional<core::jid> alternate;
    if (d->has_attr("jid")) {
      auto j = core::jid::parse(d->attr("jid"));
      if (!j) return error(s, core::condition::jid_malformed, "The alternate venue is not a valid JID");
      alternate = *j;
    }
    host_.send(im::make_result(s));
    return destroy(d->child_text("reason", muc_owner_ns), alternate, d->child_text("password", muc_owner_ns));
  }
  const core::element* x = q->child("x", data_forms_ns);
  if (!x) return error(s, core::condition::bad_request, "Expected a data form or <destroy/>");
  if (x->attr("type") == "cancel") {
    host_.send(im::make_result(s));
    // Cancelling the first configuration of a reserved room destroys it (XEP-0045 10.1.3).
    if (locked_) destroy({}, std::nullopt, {});
    return;
  }
  bool has_fields = false;
  for (const auto& f : x->children()) has_fields = has_fields || f.name() == "field";
  room_config next = config_;
  if (has_fields) {  // an empty submit form accepts the defaults: an instant room
    if (auto err = apply_config_form(*x, next, host_.max_occupants()))
      return error(s, core::condition::not_acceptable, err->text);
  }
  const bool was_persistent = config_.persistent;
  const bool members_only_now = next.members_only && !config_.members_only;
  set_config(std::move(next));
  locked_ = false;
  if (config_.persistent)
    host_.persist(*this);
  else if (was_persistent)
    host_.unpersist(*this);
  host_.send(im::make_result(s));
  // Status 104: the configuration changed (XEP-0045 10.2.1).
  core::element m("message", std::string(core::ns::client));
  m.set_attr("type", "groupchat");
  m.set_attr("from", jid_.str());
  m.add_child(core::element("x", std::string(muc_user_ns)))
      .add_child(core::element("status", std::string(muc_user_ns)))
      .set_attr("code", "104");
  broadcast(std::move(m));
  if (!members_only_now) return;
  std::vector<std::string> out;
  for (const auto& [nick, o] : occupants_)
    if (affiliation_of(o.real) < affiliation::member) out.push_back(nick);
  for (const auto& nick : out) remove_occupant(nick, {322}, {}, {});
}

}  // namespace ofs::muc
