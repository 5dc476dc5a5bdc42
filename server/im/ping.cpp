#include "server/im/ping.hpp"

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view ping_ns = "urn:xmpp:ping";

core::hook_result answer(core::router& r, core::stanza& s) {
  if (s.type() == "get") r.route(make_result(s));
  else if (s.type() == "set") r.bounce(s, core::stanza_error(core::condition::bad_request));
  return core::hook_result::handled;
}

}  // namespace

void install_ping(service& svc) {
  auto& r = svc.router();
  r.add_iq_handler(core::route_target::host, std::string(ping_ns), [&r](core::stanza& s) { return answer(r, s); });
  // To another user's bare JID the router's default applies: service-unavailable.
  r.add_iq_handler(core::route_target::bare, std::string(ping_ns), [&r](core::stanza& s) {
    return from_owner(s) ? answer(r, s) : core::hook_result::pass;
  });
  svc.add_feature(std::string(ping_ns));
}

}  // namespace ofs::im
