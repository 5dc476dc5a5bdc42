// room: its message archive (XEP-0313 on the room's JID, with XEP-0359 stanza ids). Messages
// with a body are archived as broadcast, plus the sender's real JID in a muc#user <item/>,
// which a query shows only to those who may see real JIDs (XEP-0313 6.1.2).
#include "server/im/archive.hpp"
#include "server/im/feature_support.hpp"
#include "server/im/mam_query.hpp"
#include "server/muc/room.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::muc {

void room::archive_message(const occupant& from, core::element& m) {
  auto issued = host_.next_archive_id(jid_);
  core::element stored = m;
  core::element& x = stored.add_child(core::element("x", std::string(muc_user_ns)));
  x.add_child(core::element("item", std::string(muc_user_ns))).set_attr("jid", from.real.bare_str());
  m.add_child(im::stanza_id_element(jid_, issued.id));
  host_.archive(*this, {issued.seq, issued.id, jid_.bare_str(), from.nick, im::to_stored(stored)});
}

void room::mam_iq(core::stanza& s) {
  if (!archives()) return error(s, core::condition::feature_not_implemented, "This room keeps no archive");
  // Those who may enter may read: no outcast; members only in a members-only room.
  const occupant* o = find_by_real(s.from());
  const affiliation a = affiliation_of(s.from());
  if (a == affiliation::outcast) return error(s, core::condition::forbidden, "You are banned from this room");
  if (!o && config_.members_only && a < affiliation::member)
    return error(s, core::condition::registration_required, "Only members may read this room's archive");
  if (!o && config_.password_protected && a < affiliation::member)
    return error(s, core::condition::not_authorized, "Enter the room to read its archive");
  const core::element* q = im::payload(s);
  if (q->name() != "query") return error(s, core::condition::feature_not_implemented);
  if (s.type() == "get") return host_.send(im::make_result(s, im::mam_query_form()));
  const bool real_jids = config_.non_anonymous || (o && o->r == role::moderator) || a >= affiliation::admin;
  host_.query_archive(*this, s, real_jids);
}

}  // namespace ofs::muc
