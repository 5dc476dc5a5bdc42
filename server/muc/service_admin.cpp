// service: the service's own disco (XEP-0045 6.1 to 6.3) and the administration calls of
// ofsctl, each run on the shard of its room.
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/im/disco.hpp"
#include "server/im/feature_support.hpp"
#include "server/muc/service.hpp"

namespace ofs::muc {
namespace asio = boost::asio;

void service::to_service(core::stanza& s) {
  if (!im::is_request(s)) {
    if (s.kind() == core::stanza_kind::message && s.type() != "error")
      router_.bounce(s, core::stanza_error(core::condition::service_unavailable));
    return;
  }
  const core::element* q = im::payload(s);
  const std::string_view ns = q ? std::string_view(q->xmlns()) : std::string_view();
  if (s.type() == "get" && ns == im::disco_info_ns && q->attr("node").empty()) {
    core::element out("query", std::string(im::disco_info_ns));
    core::element& id = out.add_child(core::element("identity", std::string(im::disco_info_ns)));
    id.set_attr("category", "conference");
    id.set_attr("type", "text");
    id.set_attr("name", "Chatrooms");
    for (std::string_view f : {im::disco_info_ns, im::disco_items_ns, std::string_view(muc_ns),
                               std::string_view(occupant_id_ns), std::string_view("urn:xmpp:ping")})
      out.add_child(core::element("feature", std::string(im::disco_info_ns))).set_attr("var", std::string(f));
    return router_.route(im::make_result(s, std::move(out)));
  }
  if (s.type() == "get" && ns == im::disco_items_ns && q->attr("node").empty()) {
    core::element out("query", std::string(im::disco_items_ns));
    for (const auto& r : list_rooms()) {
      if (!r.public_room) continue;  // hidden rooms are not listed (XEP-0045 6.3)
      core::element& item = out.add_child(core::element("item", std::string(im::disco_items_ns)));
      item.set_attr("jid", r.room.str());
      item.set_attr("name", r.name.empty() ? r.room.node() : r.name);
    }
    return router_.route(im::make_result(s, std::move(out)));
  }
  if (s.type() == "get" && ns == "urn:xmpp:ping") return router_.route(im::make_result(s));
  router_.bounce(s, core::stanza_error(core::condition::service_unavailable));
}

asio::awaitable<std::string> service::create_room(std::string name, room_config c,
                                                  std::vector<core::jid> owners) {
  auto jid = core::jid::from_parts(name, domain_);
  if (!jid || jid->node().empty()) co_return "'" + name + "' is not a valid room name";
  if (c.max_occupants == 0 || c.max_occupants > config_.max_occupants)
    c.max_occupants = default_config().max_occupants;
  shard& sh = shard_of(*jid);
  auto call = asio::co_spawn(sh.strand, create_on_shard(&sh, *jid, std::move(c), std::move(owners)),
                             asio::use_awaitable);
  co_return co_await std::move(call);
}

asio::awaitable<std::string> service::create_on_shard(shard* sh, core::jid jid, room_config c,
                                                      std::vector<core::jid> owners) {
  if (sh->rooms.count(jid.str())) co_return "the room " + jid.str() + " exists";
  auto r = add_room(*sh, jid, std::move(c));
  for (const auto& o : owners) r->restore_affiliation(o, {affiliation::owner, {}, {}});
  persist(*r);
  spdlog::info("muc: {} created by the administrator", jid.str());
  co_return std::string();
}

asio::awaitable<std::string> service::destroy_room(core::jid room, std::string reason) {
  shard& sh = shard_of(room);
  auto call =
      asio::co_spawn(sh.strand, destroy_on_shard(&sh, room.bare(), std::move(reason)), asio::use_awaitable);
  co_return co_await std::move(call);
}

asio::awaitable<std::string> service::destroy_on_shard(shard* sh, core::jid jid, std::string reason) {
  auto it = sh->rooms.find(jid.str());
  if (it == sh->rooms.end()) co_return "no room " + jid.str();
  std::shared_ptr<room> r = it->second;
  r->destroy(reason.empty() ? "Destroyed by the administrator" : reason, std::nullopt, {});
  spdlog::info("muc: {} destroyed by the administrator", jid.str());
  co_return std::string();
}

asio::awaitable<std::string> service::set_affiliation(core::jid room, core::jid who, affiliation a) {
  shard& sh = shard_of(room);
  auto call =
      asio::co_spawn(sh.strand, affiliate_on_shard(&sh, room.bare(), who.bare(), a), asio::use_awaitable);
  co_return co_await std::move(call);
}

asio::awaitable<std::string> service::affiliate_on_shard(shard* sh, core::jid jid, core::jid who,
                                                         affiliation a) {
  auto it = sh->rooms.find(jid.str());
  if (it == sh->rooms.end()) co_return "no room " + jid.str();
  std::shared_ptr<room> r = it->second;
  if (auto err = r->change_affiliation(who, a, {}, {}))
    co_return err->text.empty() ? std::string(core::to_string(err->cond)) : err->text;
  if (!r->destroyed()) update_directory(*r);
  co_return std::string();
}

}  // namespace ofs::muc
