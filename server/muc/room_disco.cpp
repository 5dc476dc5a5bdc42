// room: service discovery of a room (XEP-0045 6.4, 6.5) with its extended information
// (XEP-0128, the muc#roominfo form).
#include "server/im/archive.hpp"
#include "server/im/disco.hpp"
#include "server/im/feature_support.hpp"
#include "server/muc/room.hpp"

namespace ofs::muc {
namespace {

core::element feature(std::string_view var) {
  core::element f("feature", std::string(im::disco_info_ns));
  f.set_attr("var", std::string(var));
  return f;
}

core::element form_field(std::string var, std::string value, std::string type = {}) {
  core::element f("field", std::string(data_forms_ns));
  f.set_attr("var", std::move(var));
  if (!type.empty()) f.set_attr("type", std::move(type));
  f.add_child(core::element("value", std::string(data_forms_ns))).add_text(std::move(value));
  return f;
}

}  // namespace

void room::disco_info(core::stanza& s) {
  if (!im::payload(s)->attr("node").empty()) return error(s, core::condition::item_not_found);
  core::element q("query", std::string(im::disco_info_ns));
  core::element& id = q.add_child(core::element("identity", std::string(im::disco_info_ns)));
  id.set_attr("category", "conference");
  id.set_attr("type", "text");
  id.set_attr("name", config_.name.empty() ? jid_.node() : config_.name);
  for (auto var : {im::disco_info_ns, std::string_view(muc_ns), occupant_id_ns,
                   std::string_view("http://jabber.org/protocol/muc#self-ping-optimization")})
    q.add_child(feature(var));
  if (archives()) {
    q.add_child(feature(im::mam_ns));
    q.add_child(feature(im::sid_ns));
  }
  q.add_child(feature(config_.public_room ? "muc_public" : "muc_hidden"));
  q.add_child(feature(config_.persistent ? "muc_persistent" : "muc_temporary"));
  q.add_child(feature(config_.members_only ? "muc_membersonly" : "muc_open"));
  q.add_child(feature(config_.moderated ? "muc_moderated" : "muc_unmoderated"));
  q.add_child(feature(config_.password_protected ? "muc_passwordprotected" : "muc_unsecured"));
  q.add_child(feature(config_.non_anonymous ? "muc_nonanonymous" : "muc_semianonymous"));
  core::element& x = q.add_child(core::element("x", std::string(data_forms_ns)));
  x.set_attr("type", "result");
  x.add_child(form_field("FORM_TYPE", "http://jabber.org/protocol/muc#roominfo", "hidden"));
  x.add_child(form_field("muc#roomconfig_roomname", config_.name));
  x.add_child(form_field("muc#roominfo_description", config_.description));
  x.add_child(form_field("muc#roominfo_occupants", std::to_string(occupants_.size())));
  x.add_child(form_field("muc#roominfo_subject", subject_));
  x.add_child(form_field("muc#roomconfig_changesubject", config_.change_subject ? "1" : "0"));
  host_.send(im::make_result(s, std::move(q)));
}

void room::disco_items(core::stanza& s) {
  core::element q("query", std::string(im::disco_items_ns));
  // Occupants are listed to occupants only: others learn the count from the room info.
  if (find_by_real(s.from()))
    for (const auto& [nick, o] : occupants_) {
      core::element& i = q.add_child(core::element("item", std::string(im::disco_items_ns)));
      i.set_attr("jid", occupant_jid(nick).str());
      i.set_attr("name", nick);
    }
  host_.send(im::make_result(s, std::move(q)));
}

}  // namespace ofs::muc
