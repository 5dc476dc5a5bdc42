#include "server/ctl/room_commands.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/serialize.hpp>
#include <iomanip>
#include <iostream>

#include "server/app/server.hpp"
#include "server/ctl/commands.hpp"
#include "server/ctl/control_client.hpp"
#include "server/ctl/run_as_owner.hpp"
#include "server/im/feature_support.hpp"
#include "server/muc/roles.hpp"
#include "server/muc/room_config.hpp"
#include "server/storage/open_store.hpp"

namespace ofs::ctl {
namespace asio = boost::asio;
namespace json = boost::json;
namespace {

// The server's reply; nullopt with `stopped` set when ofsd does not run, or after printing
// the error.
std::optional<json::object> ask(const app::config& c, const json::object& request, bool& stopped) {
  stopped = false;
  const auto socket = c.effective_control_socket();
  if (socket.empty()) {
    stopped = true;  // no socket: only the store can be changed
    return std::nullopt;
  }
  auto reply = ask_server(socket, request);
  if (reply.not_running) {
    stopped = true;
    return std::nullopt;
  }
  if (!reply.error.empty()) {
    std::cerr << "ofsctl: " << reply.error << "\n";
    return std::nullopt;
  }
  return std::move(reply.value);
}

// Opens the store as the data directory's owner and runs fn(store) to completion.
template <class F>
int on_store(const app::config& c, F fn) {
  if (auto err = run_as_owner_of(c.data_dir); !err.empty()) {
    std::cerr << "ofsctl: " << err << "\n";
    return failed;
  }
  if (c.effective_storage_url().starts_with("sqlite:"))
    if (auto err = app::prepare_data_dir(c.data_dir); !err.empty()) {
      std::cerr << "ofsctl: " << err << "\n";
      return failed;
    }
  asio::io_context io;
  storage::store_options options{c.effective_storage_url(), 1, c.storage_connect_timeout};
  auto opened_f = asio::co_spawn(io, storage::open_store(options), asio::use_future);
  io.run();
  auto opened = opened_f.get();
  if (!opened.db) {
    std::cerr << "ofsctl: " << opened.error << "\n";
    return failed;
  }
  auto done = asio::co_spawn(io, fn(*opened.db), asio::use_future);
  io.restart();
  io.run();
  return done.get();
}

std::optional<core::jid> room_jid(const app::config& c, std::string text) {
  if (text.find('@') == std::string::npos) text += "@" + c.muc.domain;
  auto j = core::jid::parse(text);
  if (!j || j->node().empty() || !j->resource().empty() || j->domain() != c.muc.domain) {
    std::cerr << "ofsctl: '" << text << "' is not a room of " << c.muc.domain << "\n";
    return std::nullopt;
  }
  return *j;
}

int store_failure(const error_code& ec) {
  std::cerr << "ofsctl: storage error: " << ec.message() << "\n";
  return failed;
}

int done(const json::object& reply, bool as_json, const std::string& what) {
  if (as_json)
    std::cout << json::serialize(reply) << "\n";
  else
    std::cout << what << "\n";
  return ok;
}

asio::awaitable<int> create_stored(storage::store& db, core::jid room, muc::room_config cfg,
                                   std::vector<std::string> owners) {
  auto rooms = co_await db.load_muc_rooms(room.domain());
  if (!rooms) co_return store_failure(rooms.error());
  for (const auto& r : *rooms)
    if (r.room == room) {
      std::cerr << "ofsctl: the room " << room.str() << " exists\n";
      co_return failed;
    }
  storage::muc_room rec{room, im::to_stored(muc::make_submit_form(cfg)), {}, {}, {}, {}};
  for (const auto& o : owners) rec.affiliations.push_back({core::jid::parse(o).value(), "owner", {}, {}});
  auto call = db.save_muc_room(std::move(rec));  // named: GCC 12
  auto saved = co_await std::move(call);
  if (!saved) co_return store_failure(saved.error());
  std::cout << "created " << room.str() << " (ofsd is not running: it opens the room at its next start)\n";
  co_return ok;
}

asio::awaitable<int> list_stored(storage::store& db, std::string domain, bool as_json) {
  auto rooms = co_await db.load_muc_rooms(domain);
  if (!rooms) co_return store_failure(rooms.error());
  json::array list;
  for (const auto& r : *rooms) {
    muc::room_config cfg;
    if (auto form = im::from_stored(r.config)) (void)muc::apply_config_form(*form, cfg, 1'000'000);
    if (as_json)
      list.push_back(json::object{{"jid", r.room.str()},
                                  {"name", cfg.name},
                                  {"occupants", 0},
                                  {"persistent", true},
                                  {"public", cfg.public_room},
                                  {"members_only", cfg.members_only},
                                  {"password", cfg.password_protected}});
    else
      std::cout << std::left << std::setw(40) << r.room.str() << " " << cfg.name << "\n";
  }
  if (as_json)
    std::cout << json::serialize(json::object{{"ok", true}, {"rooms", std::move(list)}}) << "\n";
  else
    std::cout << rooms->size() << " stored room(s); ofsd is not running\n";
  co_return ok;
}

asio::awaitable<int> destroy_stored(storage::store& db, core::jid room) {
  auto removed = co_await db.remove_muc_room(room);
  if (!removed) co_return store_failure(removed.error());
  if (!*removed) {
    std::cerr << "ofsctl: no stored room " << room.str() << "\n";
    co_return failed;
  }
  std::cout << "destroyed " << room.str() << "\n";
  co_return ok;
}

asio::awaitable<int> affiliate_stored(storage::store& db, core::jid room, core::jid who, std::string a) {
  auto rooms = co_await db.load_muc_rooms(room.domain());
  if (!rooms) co_return store_failure(rooms.error());
  for (auto& r : *rooms) {
    if (r.room != room) continue;
    std::erase_if(r.affiliations, [&](const auto& e) { return e.who == who; });
    if (a != "none") r.affiliations.push_back({who, a, {}, {}});
    r.history.clear();
    auto call = db.save_muc_room(std::move(r));  // named: GCC 12
    auto saved = co_await std::move(call);
    if (!saved) co_return store_failure(saved.error());
    std::cout << who.str() << " is now " << a << " of " << room.str() << "\n";
    co_return ok;
  }
  std::cerr << "ofsctl: no stored room " << room.str() << "\n";
  co_return failed;
}

}  // namespace

int create_room(const app::config& c, const std::string& room_text, const room_options& o, bool as_json) {
  auto room = room_jid(c, room_text);
  if (!room) return usage;
  json::array owners;
  for (const auto& w : o.owners) {
    auto j = core::jid::parse(w);
    if (!j || j->node().empty()) {
      std::cerr << "ofsctl: owner '" << w << "' is not a user's JID\n";
      return usage;
    }
    owners.push_back(json::string(j->bare_str()));
  }
  json::object request{
      {"command", "create-room"},   {"room", room->str()},    {"title", o.title},
      {"persistent", !o.temporary}, {"public", !o.hidden},    {"members_only", o.members_only},
      {"moderated", o.moderated},   {"password", o.password}, {"owners", owners}};
  bool stopped = false;
  if (auto reply = ask(c, request, stopped)) return done(*reply, as_json, "created " + room->str());
  if (!stopped) return failed;
  if (o.temporary) {
    std::cerr << "ofsctl: a temporary room needs a running ofsd\n";
    return failed;
  }
  muc::room_config cfg;
  cfg.name = o.title;
  cfg.persistent = true;
  cfg.public_room = !o.hidden;
  cfg.members_only = o.members_only;
  cfg.moderated = o.moderated;
  cfg.password = o.password;
  cfg.password_protected = !o.password.empty();
  cfg.max_occupants = c.muc.default_occupants;
  cfg.history_length = c.muc.history_length;
  std::vector<std::string> owner_list;
  for (const auto& w : owners) owner_list.emplace_back(w.as_string());
  return on_store(c, [&](storage::store& db) { return create_stored(db, *room, cfg, owner_list); });
}

int list_rooms(const app::config& c, bool as_json) {
  bool stopped = false;
  auto reply = ask(c, {{"command", "list-rooms"}}, stopped);
  if (!reply && stopped) {
    const std::string domain = c.muc.domain;
    return on_store(c, [&](storage::store& db) { return list_stored(db, domain, as_json); });
  }
  if (!reply) return failed;
  if (as_json) return done(*reply, true, "");
  const auto& rooms = reply->at("rooms").as_array();
  for (const auto& v : rooms) {
    const auto& r = v.as_object();
    std::cout << std::left << std::setw(40) << std::string(r.at("jid").as_string()) << " " << std::setw(5)
              << r.at("occupants").to_number<std::int64_t>() << " "
              << (r.at("persistent").as_bool() ? "persistent" : "temporary ") << " "
              << (r.at("public").as_bool() ? "public " : "hidden ")
              << (r.at("members_only").as_bool() ? "members-only " : "")
              << (r.at("password").as_bool() ? "password " : "") << std::string(r.at("name").as_string())
              << "\n";
  }
  std::cout << rooms.size() << (rooms.size() == 1 ? " room\n" : " rooms\n");
  return ok;
}

int destroy_room(const app::config& c, const std::string& room_text, const std::string& reason,
                 bool as_json) {
  auto room = room_jid(c, room_text);
  if (!room) return usage;
  bool stopped = false;
  auto reply = ask(c, {{"command", "destroy-room"}, {"room", room->str()}, {"reason", reason}}, stopped);
  if (reply) return done(*reply, as_json, "destroyed " + room->str());
  if (!stopped) return failed;
  return on_store(c, [&](storage::store& db) { return destroy_stored(db, *room); });
}

int set_affiliation(const app::config& c, const std::string& room_text, const std::string& jid_text,
                    const std::string& affiliation, bool as_json) {
  auto room = room_jid(c, room_text);
  if (!room) return usage;
  auto who = core::jid::parse(jid_text);
  if (!who || who->node().empty()) {
    std::cerr << "ofsctl: '" << jid_text << "' is not a user's JID\n";
    return usage;
  }
  if (!muc::affiliation_from_string(affiliation)) {
    std::cerr << "ofsctl: the affiliation is one of owner, admin, member, none, outcast\n";
    return usage;
  }
  bool stopped = false;
  json::object request{{"command", "set-affiliation"},
                       {"room", room->str()},
                       {"jid", who->bare_str()},
                       {"affiliation", affiliation}};
  if (auto reply = ask(c, request, stopped))
    return done(*reply, as_json, who->bare_str() + " is now " + affiliation + " of " + room->str());
  if (!stopped) return failed;
  return on_store(c,
                  [&](storage::store& db) { return affiliate_stored(db, *room, who->bare(), affiliation); });
}

}  // namespace ofs::ctl
