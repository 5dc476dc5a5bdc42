// ofsctl: the admin CLI. Reads the same configuration as ofsd and works on the same store,
// also while ofsd runs. Exit codes: 0 done, 1 failed, 2 bad usage or configuration.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <iostream>

#include "server/app/server.hpp"
#include "server/ctl/cert_import.hpp"
#include "server/ctl/commands.hpp"
#include "server/ctl/live_commands.hpp"
#include "server/ctl/room_commands.hpp"
#include "server/ctl/run_as_owner.hpp"
#include "server/ctl/sis_token.hpp"
#include "server/storage/open_store.hpp"

namespace asio = boost::asio;

namespace {

template <class T>
T run_sync(asio::io_context& io, asio::awaitable<T> task) {
  auto future = asio::co_spawn(io, std::move(task), asio::use_future);
  io.restart();
  io.run();
  return future.get();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App cli{"OFS administration"};
  cli.require_subcommand(1);
  std::string config_file, jid, password, domain;
  cli.add_option("-c,--config", config_file, ofs::app::config_search_order());
  cli.set_version_flag("--version", std::string("ofsctl ") + OFS_VERSION);
  cli.footer(
      "Account, offline and XCAP commands work on the store, also while ofsd runs. sessions, kick,\n"
      "announce, stats, reload and revoke-tokens ask the running ofsd over its control socket\n"
      "([control] socket; root and ofsd's user only). 'ofsctl COMMAND --help' describes one command.\n"
      "Exit status: 0 done, 1 failed, 2 bad usage or configuration. Manual: man ofsctl.");
  auto* adduser = cli.add_subcommand("adduser", "create an account");
  adduser->add_option("jid", jid, "bare JID, e.g. alice@localhost")->required();
  adduser->add_option("password", password, "the password ('-' reads it from standard input)")->required();
  auto* passwd = cli.add_subcommand("passwd", "change an account's password");
  passwd->add_option("jid", jid)->required();
  passwd->add_option("password", password, "the new password ('-' reads it from standard input)")->required();
  auto* deluser = cli.add_subcommand("deluser", "delete an account and all its data");
  deluser->add_option("jid", jid)->required();
  auto* listusers = cli.add_subcommand("list-users", "list accounts, of one domain or all");
  listusers->add_option("domain", domain);
  std::string xcap_dir;
  auto* xcap_export = cli.add_subcommand("xcap-export", "write an account's XCAP documents to a directory");
  xcap_export->add_option("jid", jid, "bare JID")->required();
  xcap_export->add_option("dir", xcap_dir, "directory (DIR/<auid>/<document>)")->required();
  auto* xcap_import =
      cli.add_subcommand("xcap-import", "store XCAP documents from a directory for an account");
  xcap_import->add_option("jid", jid, "bare JID")->required();
  xcap_import->add_option("dir", xcap_dir, "directory (DIR/<auid>/<document>)")->required();
  auto* check = cli.add_subcommand("check", "check the configuration and that the store is reachable");
  auto* deloffline =
      cli.add_subcommand("delete-offline", "delete the offline messages stored for an account");
  deloffline->add_option("jid", jid)->required();
  // Asked of the running server, over its control socket.
  std::string text, reason;
  bool as_json = false;
  cli.add_flag("--json", as_json, "print the running server's answers as JSON");
  auto* sessions = cli.add_subcommand("sessions", "list the online sessions (running server)");
  auto* kick = cli.add_subcommand("kick", "disconnect a user's sessions, or one session (running server)");
  kick->add_option("jid", jid, "bare JID (every session) or full JID (one)")->required();
  kick->add_option("--reason", reason, "said to the client in the stream error");
  auto* announce = cli.add_subcommand("announce", "send a message to every online session (running server)");
  announce->add_option("text", text)->required();
  auto* revoke_tokens =
      cli.add_subcommand("revoke-tokens", "revoke every web widget login token of a user (running server)");
  revoke_tokens->add_option("jid", jid, "the user's JID")->required();
  std::vector<std::filesystem::path> cert_dirs;
  auto* cert = cli.add_subcommand("cert", "TLS certificates");
  auto* cert_import = cert->add_subcommand("import",
                                           "install the served domains' certificates from directories "
                                           "(e.g. /etc/letsencrypt/live), chosen by SNI");
  cert_import->add_option("dir", cert_dirs, "directories to search")->required();
  cert->require_subcommand(1);
  auto* stats =
      cli.add_subcommand("stats", "sessions, stanzas per second, memory, store latency (running server)");
  auto* reload = cli.add_subcommand(
      "reload",
      "re-read the configuration and certificates; print what was applied and what needs a restart "
      "(running server; like SIGHUP)");
  // Multi-user chat rooms: the running server's, or the store's while it is stopped.
  std::string room, affiliation;
  ofs::ctl::room_options room_opts;
  auto* create_room = cli.add_subcommand("create-room", "create a room (persistent unless --temporary)");
  create_room->add_option("room", room, "the room's name, or name@<muc domain>")->required();
  create_room->add_option("--title", room_opts.title, "its natural-language name");
  create_room->add_option("--owner", room_opts.owners, "an owner's JID (repeatable)");
  create_room->add_option("--password", room_opts.password, "a password to enter");
  create_room->add_flag("--members-only", room_opts.members_only, "only members may enter");
  create_room->add_flag("--moderated", room_opts.moderated, "only participants with voice may speak");
  create_room->add_flag("--hidden", room_opts.hidden, "not listed by disco");
  create_room->add_flag("--temporary", room_opts.temporary, "gone with its last occupant (running server)");
  auto* list_rooms = cli.add_subcommand("list-rooms", "list the rooms");
  auto* destroy_room = cli.add_subcommand("destroy-room", "destroy a room; its occupants are told");
  destroy_room->add_option("room", room)->required();
  destroy_room->add_option("--reason", reason, "said to the occupants");
  auto* set_affiliation =
      cli.add_subcommand("set-affiliation", "make a user owner, admin, member, none or outcast");
  set_affiliation->add_option("room", room)->required();
  set_affiliation->add_option("jid", jid)->required();
  set_affiliation->add_option("affiliation", affiliation)->required();
  auto* sis_token = cli.add_subcommand("sis-token", "issue a signed viewer token for the status images");
  sis_token->add_option("viewer", jid, "the bare JID of the portal's viewer")->required();
  long long lifetime = -1;
  sis_token->add_option("--lifetime", lifetime, "seconds the token lasts ([sis] token_lifetime)");
  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e) == 0 ? 0 : 2;  // --help and --version are not errors
  }

  ofs::app::config cfg;
  auto path = config_file.empty() ? ofs::app::default_config_path()
                                  : std::optional(std::filesystem::path(config_file));
  if (path) {
    auto loaded = ofs::app::load_config(*path);
    if (!loaded.value) {
      std::cerr << "ofsctl: " << loaded.error << "\n";
      if (*reload) std::cerr << "ofsctl: not reloaded: ofsd keeps running on its previous configuration\n";
      return ofs::ctl::usage;
    }
    cfg = std::move(*loaded.value);
  }
  spdlog::set_level(spdlog::level::warn);
  if (*sessions) return ofs::ctl::list_sessions(cfg, as_json);
  if (*kick) return ofs::ctl::kick(cfg, jid, reason, as_json);
  if (*announce) return ofs::ctl::announce(cfg, text, as_json);
  if (*stats) return ofs::ctl::stats(cfg, as_json);
  if (*reload) return ofs::ctl::reload(cfg, as_json);
  if (*revoke_tokens) return ofs::ctl::revoke_tokens(cfg, jid, as_json);
  if (*cert_import) return ofs::ctl::cert_import(cfg, cert_dirs);
  if (*create_room) return ofs::ctl::create_room(cfg, room, room_opts, as_json);
  if (*list_rooms) return ofs::ctl::list_rooms(cfg, as_json);
  if (*destroy_room) return ofs::ctl::destroy_room(cfg, room, reason, as_json);
  if (*set_affiliation) return ofs::ctl::set_affiliation(cfg, room, jid, affiliation, as_json);
  if (password == "-" && !std::getline(std::cin, password)) {
    std::cerr << "ofsctl: no password on standard input\n";
    return ofs::ctl::usage;
  }

  if (auto err = ofs::ctl::run_as_owner_of(cfg.data_dir); !err.empty()) {
    std::cerr << "ofsctl: " << err << "\n";
    return ofs::ctl::failed;
  }
  if (*sis_token)
    return ofs::ctl::sis_token(
        cfg, jid, lifetime < 0 ? cfg.sis_token_lifetime : std::chrono::seconds(lifetime), as_json);
  if (cfg.effective_storage_url().starts_with("sqlite:"))
    if (auto err = ofs::app::prepare_data_dir(cfg.data_dir); !err.empty()) {
      std::cerr << "ofsctl: " << err << "\n";
      return ofs::ctl::failed;
    }
  asio::io_context io;
  ofs::storage::store_options options{cfg.effective_storage_url(), 1, cfg.storage_connect_timeout};
  auto opened = run_sync(io, ofs::storage::open_store(options));
  if (!opened.db) {
    std::cerr << "ofsctl: " << opened.error << "\n";
    return ofs::ctl::failed;
  }
  auto& db = *opened.db;
  int rc = ofs::ctl::usage;
  if (*adduser)
    rc = run_sync(io, ofs::ctl::add_user(cfg, db, jid, password));
  else if (*passwd)
    rc = run_sync(io, ofs::ctl::set_password(cfg, db, jid, password));
  else if (*deluser)
    rc = run_sync(io, ofs::ctl::delete_user(cfg, db, jid));
  else if (*listusers)
    rc = run_sync(io, ofs::ctl::list_users(cfg, db, domain));
  else if (*deloffline)
    rc = run_sync(io, ofs::ctl::delete_offline(cfg, db, jid));
  else if (*check)
    rc = run_sync(io, ofs::ctl::check(cfg, db));
  else if (*xcap_export)
    rc = run_sync(io, ofs::ctl::xcap_export(cfg, db, jid, xcap_dir));
  else if (*xcap_import)
    rc = run_sync(io, ofs::ctl::xcap_import(cfg, db, jid, xcap_dir));
  return rc;
}
