#include "server/app/control_commands.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <map>

#include "server/app/metrics.hpp"
#include "server/xmpp/c2s_session.hpp"

namespace ofs::app {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object failed(std::string text) { return {{"ok", false}, {"error", std::move(text)}}; }

std::string string_field(const json::object& o, std::string_view key) {
  const auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

// The client software, as its entity capabilities (XEP-0115) name it in its presence.
// The id that starts the log lines of the connection carrying a client session ("c2s-1f").
std::string connection_of(const core::endpoint& e) {
  const auto* c2s = dynamic_cast<const xmpp::c2s_session*>(&e);
  return c2s ? c2s->connection_id() : std::string();
}

std::string client_of(const core::bound_resource& r) {
  if (!r.presence) return {};
  const auto* caps = r.presence->xml().child("c", "http://jabber.org/protocol/caps");
  return caps ? std::string(caps->attr("node")) : std::string();
}

json::object sessions(control_context& c) {
  json::array list;
  for (const auto& r : c.router.sessions().all())
    list.push_back(json::object{{"jid", r.ep->address().str()},
                                {"address", r.ep->remote_address()},
                                {"transport", r.ep->transport()},
                                {"connection", connection_of(*r.ep)},
                                {"client", client_of(r)},
                                {"available", r.available},
                                {"priority", r.priority}});
  return {{"ok", true}, {"sessions", std::move(list)}};
}

json::object kick(control_context& c, const json::object& request) {
  auto target = core::jid::parse(string_field(request, "jid"));
  if (!target || target->node().empty()) return failed("kick needs the JID of a user, bare or full");
  std::string text = "Disconnected by the server's administrator";
  if (auto reason = string_field(request, "reason"); !reason.empty()) text += ": " + reason;
  std::int64_t kicked = 0;
  for (const auto& r : c.router.sessions().resources(target->bare()))
    if (target->resource().empty() || r.ep->address() == *target) {
      spdlog::info("control: kicking {}", r.ep->address().str());
      r.ep->terminate("policy-violation", text);
      ++kicked;
    }
  return {{"ok", true}, {"kicked", kicked}};
}

json::object announce(control_context& c, const json::object& request) {
  const std::string text = string_field(request, "text");
  if (text.empty()) return failed("announce needs a text");
  std::int64_t sent = 0;
  for (const auto& r : c.router.sessions().all()) {
    core::element e("message", std::string(core::ns::client));
    e.add_child(core::element("body", std::string(core::ns::client))).add_text(text);
    auto s = core::stanza::from_element(std::move(e)).value();  // no addresses to parse
    s.set_from(core::jid::parse(r.ep->address().domain()).value());
    s.set_to(r.ep->address());
    r.ep->deliver(std::move(s));
    ++sent;
  }
  spdlog::info("control: announcement sent to {} sessions", sent);
  return {{"ok", true}, {"sent", sent}};
}

json::object revoke_tokens(control_context& c, const json::object& request) {
  auto target = core::jid::parse(string_field(request, "jid"));
  if (!target || target->node().empty()) return failed("revoke-tokens needs the JID of a user");
  if (!c.tokens) return failed("widget login tokens are turned off ([widget] tokens = false)");
  const auto n = c.tokens->revoke(target->bare());
  spdlog::info("control: revoked {} widget login tokens of {}", n, target->bare().str());
  return {{"ok", true}, {"revoked", static_cast<std::int64_t>(n)}};
}

asio::awaitable<json::object> stats(control_context& c) {
  std::map<std::string, std::int64_t> by_transport;
  const auto all = c.router.sessions().all();
  for (const auto& r : all) ++by_transport[std::string(r.ep->transport())];
  json::object transports;
  for (const auto& [name, n] : by_transport) transports[name] = n;

  const auto ping_start = std::chrono::steady_clock::now();
  const bool store_ok = static_cast<bool>(co_await c.store.ping());  // what a login pays at least
  const double store_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - ping_start).count();

  const std::uint64_t routed_before = c.router.routed();
  asio::steady_timer second(co_await asio::this_coro::executor, std::chrono::seconds(1));
  co_await second.async_wait(asio::use_awaitable);
  const std::uint64_t routed_after = c.router.routed();

  co_return json::object{
      {"ok", true},
      {"sessions", static_cast<std::int64_t>(all.size())},
      {"sessions_by_transport", std::move(transports)},
      {"stanzas_routed", routed_after},
      {"stanzas_per_second", routed_after - routed_before},
      {"resident_memory_bytes", resident_memory_bytes()},
      {"uptime_seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - c.started).count()},
      {"store_ok", store_ok},
      {"store_latency_ms", store_ms},
  };
}

}  // namespace

asio::awaitable<json::object> run_control_command(control_context& c, json::object request) {
  const std::string command = string_field(request, "command");
  if (command == "sessions") co_return sessions(c);
  if (command == "kick") co_return kick(c, request);
  if (command == "announce") co_return announce(c, request);
  if (command == "stats") co_return co_await stats(c);
  if (command == "revoke-tokens") co_return revoke_tokens(c, request);
  if (command == "reload") co_return c.reload ? c.reload() : failed("reload is not available");
  auto muc = co_await run_muc_command(c, command, request);
  if (muc) co_return std::move(*muc);
  co_return failed("unknown command '" + command + "'");
}

}  // namespace ofs::app
