#include "server/im/session.hpp"

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view session_ns = "urn:ietf:params:xml:ns:xmpp-session";

core::hook_result answer(core::router& r, core::stanza& s) {
  if (s.type() == "set")
    r.route(make_result(s));
  else
    r.bounce(s, core::stanza_error(core::condition::bad_request));
  return core::hook_result::handled;
}

}  // namespace

void install_session(service& svc) {
  auto& r = svc.router();
  r.add_iq_handler(core::route_target::host, std::string(session_ns),
                   [&r](core::stanza& s) { return answer(r, s); });
  r.add_iq_handler(core::route_target::bare, std::string(session_ns),
                   [&r](core::stanza& s) { return from_owner(s) ? answer(r, s) : core::hook_result::pass; });
}

}  // namespace ofs::im
