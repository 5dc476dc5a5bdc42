#pragma once
// What ofsctl can ask the running server over the control socket. Every request is
// {"command": "...", ...}; every reply has "ok", and "error" when not ok.
//   sessions                    -> "sessions": [{jid, address, transport, connection, client, available,
//                                  priority}]
//   kick {jid, reason?}         -> ends the sessions of a full or bare JID (<policy-violation/>); "kicked"
//   announce {text}             -> a message from the server to every bound session; "sent"
//   create-room {room, title?, persistent?, public?, members_only?, moderated?, password?, owners?}
//   list-rooms                  -> "rooms": [{jid, name, occupants, persistent, public, members_only,
//   password}] destroy-room {room, reason?}, set-affiliation {room, jid, affiliation}  (control_muc.cpp)
//   stats                       -> sessions (total, per transport), stanzas routed (total, per second
//                                  over the last second), resident memory, uptime, store latency
//   revoke-tokens {jid}         -> drops every web widget login token of a user; "revoked"
//   reload                      -> configuration and certificates re-read (reload_report::to_json)
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "server/core/router.hpp"
#include "server/login/widget_tokens.hpp"
#include "server/storage/store.hpp"

namespace ofs::muc {
class service;
}

namespace ofs::app {

struct control_context {
  core::router& router;
  storage::store& store;
  std::chrono::steady_clock::time_point started;
  login::widget_tokens* tokens = nullptr;       // none: [widget] tokens = false
  muc::service* muc = nullptr;                  // null when [muc] is off
  std::function<boost::json::object()> reload;  // re-reads configuration and certificates
};

// The MUC commands; nullopt for a command that is not one of them.
boost::asio::awaitable<std::optional<boost::json::object>> run_muc_command(control_context& c,
                                                                           std::string command,
                                                                           boost::json::object request);

boost::asio::awaitable<boost::json::object> run_control_command(control_context& c,
                                                                boost::json::object request);

}  // namespace ofs::app
