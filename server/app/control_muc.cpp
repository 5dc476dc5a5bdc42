// The control socket's multi-user chat commands: rooms of the running server, changed on
// their own shards like any room stanza.
#include <boost/json/array.hpp>

#include "server/app/control_commands.hpp"
#include "server/muc/service.hpp"

namespace ofs::app {
namespace json = boost::json;

namespace {

json::object failed(std::string text) { return {{"ok", false}, {"error", std::move(text)}}; }

std::string text_of(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool flag_of(const json::object& o, std::string_view key, bool def) {
  const auto* v = o.if_contains(key);
  return v && v->is_bool() ? v->as_bool() : def;
}

// "name" or "name@<service domain>"; nullopt for anything else.
std::optional<core::jid> room_of(const muc::service& m, json::object request) {
  std::string text = text_of(request, "room");
  if (text.find('@') == std::string::npos) text += "@" + m.domain();
  auto j = core::jid::parse(text);
  if (!j || j->node().empty() || j->domain() != m.domain() || !j->resource().empty()) return std::nullopt;
  return *j;
}

}  // namespace

boost::asio::awaitable<std::optional<json::object>> run_muc_command(control_context& c, std::string command,
                                                                    json::object request) {
  if (command != "create-room" && command != "list-rooms" && command != "destroy-room" &&
      command != "set-affiliation")
    co_return std::nullopt;
  if (!c.muc) co_return failed("the multi-user chat service is off ([muc] enabled = false)");
  muc::service& m = *c.muc;
  if (command == "list-rooms") {
    json::array rooms;
    for (const auto& r : m.list_rooms())
      rooms.push_back(json::object{{"jid", r.room.str()},
                                   {"name", r.name},
                                   {"occupants", static_cast<std::int64_t>(r.occupants)},
                                   {"persistent", r.persistent},
                                   {"public", r.public_room},
                                   {"members_only", r.members_only},
                                   {"password", r.password_protected}});
    co_return json::object{{"ok", true}, {"rooms", std::move(rooms)}};
  }
  auto room = room_of(m, request);
  if (!room) co_return failed("'room' must be a room name, or name@" + m.domain());
  if (command == "create-room") {
    muc::room_config cfg;
    cfg.name = text_of(request, "title");
    cfg.persistent = flag_of(request, "persistent", true);
    cfg.public_room = flag_of(request, "public", true);
    cfg.members_only = flag_of(request, "members_only", false);
    cfg.moderated = flag_of(request, "moderated", false);
    cfg.password = text_of(request, "password");
    cfg.password_protected = !cfg.password.empty();
    cfg.max_occupants = 0;  // the service's default
    std::vector<core::jid> owners;
    if (const auto* list = request.if_contains("owners"); list && list->is_array())
      for (const auto& o : list->as_array()) {
        auto j = o.is_string() ? core::jid::parse(std::string(o.as_string())) : core::jid::parse("");
        if (!j || j->node().empty()) co_return failed("'owners' must be user JIDs");
        owners.push_back(j->bare());
      }
    auto call = m.create_room(room->node(), std::move(cfg), std::move(owners));  // named: GCC 12
    auto err = co_await std::move(call);
    if (!err.empty()) co_return failed(err);
    co_return json::object{{"ok", true}, {"room", room->str()}};
  }
  if (command == "destroy-room") {
    auto call = m.destroy_room(*room, text_of(request, "reason"));
    auto err = co_await std::move(call);
    if (!err.empty()) co_return failed(err);
    co_return json::object{{"ok", true}, {"room", room->str()}};
  }
  auto who = core::jid::parse(text_of(request, "jid"));
  if (!who || who->node().empty()) co_return failed("'jid' must be a user's JID");
  auto a = muc::affiliation_from_string(text_of(request, "affiliation"));
  if (!a) co_return failed("'affiliation' must be owner, admin, member, none or outcast");
  auto call = m.set_affiliation(*room, *who, *a);
  auto err = co_await std::move(call);
  if (!err.empty()) co_return failed(err);
  co_return json::object{{"ok", true}, {"room", room->str()}};
}

}  // namespace ofs::app
