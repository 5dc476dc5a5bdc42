#include "server/ctl/live_commands.hpp"

#include <boost/json/serialize.hpp>
#include <iomanip>
#include <iostream>

#include "server/ctl/commands.hpp"
#include "server/ctl/control_client.hpp"

namespace ofs::ctl {
namespace json = boost::json;
namespace {

// Asks; on failure prints one error line. The reply, or nullopt.
std::optional<json::object> ask(const app::config& c, json::object request) {
  const auto socket = c.effective_control_socket();
  if (socket.empty()) {
    std::cerr << "ofsctl: the control socket is turned off ([control] socket = \"\")\n";
    return std::nullopt;
  }
  auto reply = ask_server(socket, request);
  if (!reply.error.empty()) {
    std::cerr << "ofsctl: " << reply.error << "\n";
    return std::nullopt;
  }
  return std::move(reply.value);
}

std::string text_of(const json::value& v) {
  return v.is_string() ? std::string(v.as_string()) : json::serialize(v);
}

int print_json(const json::object& o) {
  std::cout << json::serialize(o) << "\n";
  return ok;
}

}  // namespace

int list_sessions(const app::config& c, bool as_json) {
  auto reply = ask(c, {{"command", "sessions"}});
  if (!reply) return failed;
  if (as_json) return print_json(*reply);
  const auto& list = reply->at("sessions").as_array();
  for (const auto& v : list) {
    const auto& s = v.as_object();
    std::cout << std::left << std::setw(40) << text_of(s.at("jid")) << " " << std::setw(16)
              << text_of(s.at("address")) << " " << std::setw(10) << text_of(s.at("transport")) << " "
              << std::setw(10) << text_of(s.at("connection")) << " "
              << (s.at("available").as_bool() ? "available" : "not available") << " "
              << text_of(s.at("client")) << "\n";
  }
  std::cout << list.size() << (list.size() == 1 ? " session\n" : " sessions\n");
  return ok;
}

int kick(const app::config& c, const std::string& jid, const std::string& reason, bool as_json) {
  auto reply = ask(c, {{"command", "kick"}, {"jid", jid}, {"reason", reason}});
  if (!reply) return failed;
  if (as_json) return print_json(*reply);
  const auto n = reply->at("kicked").to_number<std::int64_t>();
  std::cout << "kicked " << n << (n == 1 ? " session" : " sessions") << " of " << jid << "\n";
  return n > 0 ? ok : failed;
}

int announce(const app::config& c, const std::string& text, bool as_json) {
  auto reply = ask(c, {{"command", "announce"}, {"text", text}});
  if (!reply) return failed;
  if (as_json) return print_json(*reply);
  std::cout << "sent to " << reply->at("sent").to_number<std::int64_t>() << " sessions\n";
  return ok;
}

int revoke_tokens(const app::config& c, const std::string& jid, bool as_json) {
  auto reply = ask(c, {{"command", "revoke-tokens"}, {"jid", jid}});
  if (!reply) return failed;
  if (as_json) return print_json(*reply);
  const auto n = reply->at("revoked").to_number<std::int64_t>();
  std::cout << "revoked " << n << (n == 1 ? " widget login token" : " widget login tokens") << " of " << jid
            << "\n";
  return ok;
}

int reload(const app::config& c, bool as_json) {
  const auto socket = c.effective_control_socket();
  if (socket.empty()) {
    std::cerr << "ofsctl: the control socket is turned off ([control] socket = \"\"); send ofsd SIGHUP\n";
    return failed;
  }
  auto reply = ask_server(socket, {{"command", "reload"}});
  if (!reply.error.empty() && reply.value.empty()) {  // no server to ask
    std::cerr << "ofsctl: " << reply.error << "\n";
    return failed;
  }
  const bool refused = !reply.error.empty();
  if (as_json) {
    print_json(reply.value);
    return refused ? failed : ok;
  }
  if (refused) {
    std::cerr << "ofsctl: reload refused, ofsd keeps running as before: " << reply.error << "\n";
    return failed;
  }
  const auto& r = reply.value;
  auto list = [&](std::string_view key) {
    std::string out;
    for (const auto& v : r.at(key).as_array()) out += (out.empty() ? "" : ", ") + text_of(v);
    return out.empty() ? std::string("none") : out;
  };
  const auto source = text_of(r.at("source"));
  std::cout << "reloaded " << (source.empty() ? "(built-in defaults)" : source) << "\n"
            << "applied:          " << list("applied") << "\n"
            << "needs a restart:  " << list("restart") << "\n"
            << "certificates:     " << list("certificates") << "\n";
  for (const auto& w : r.at("warnings").as_array()) std::cout << "warning: " << text_of(w) << "\n";
  return ok;
}

int stats(const app::config& c, bool as_json) {
  auto reply = ask(c, {{"command", "stats"}});
  if (!reply) return failed;
  if (as_json) return print_json(*reply);
  const auto& r = *reply;
  std::cout << "sessions            " << text_of(r.at("sessions"));
  for (const auto& [transport, n] : r.at("sessions_by_transport").as_object())
    std::cout << "  " << std::string_view(transport) << "=" << text_of(n);
  std::cout << "\nstanzas per second  " << text_of(r.at("stanzas_per_second")) << " (routed since start "
            << text_of(r.at("stanzas_routed")) << ")\n"
            << "resident memory     " << std::fixed << std::setprecision(1)
            << r.at("resident_memory_bytes").to_number<double>() / (1024 * 1024) << " MiB\n"
            << "uptime              " << std::setprecision(0) << r.at("uptime_seconds").to_number<double>()
            << " s\n"
            << "store               " << (r.at("store_ok").as_bool() ? "reachable" : "NOT REACHABLE") << ", "
            << std::setprecision(2) << r.at("store_latency_ms").to_number<double>() << " ms round trip\n";
  return ok;
}

}  // namespace ofs::ctl
