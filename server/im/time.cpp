#include "server/im/time.hpp"

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view time_ns = "urn:xmpp:time";

}  // namespace

void install_time(service& svc) {
  svc.router().add_iq_handler(core::route_target::host, std::string(time_ns), [&svc](core::stanza& s) {
    if (s.type() == "set") svc.router().bounce(s, core::stanza_error(core::condition::bad_request));
    if (s.type() != "get") return core::hook_result::handled;
    core::element t("time", std::string(time_ns));
    t.add_child(core::element("tzo", std::string(time_ns))).add_text("+00:00");
    t.add_child(core::element("utc", std::string(time_ns))).add_text(utc_timestamp(std::chrono::system_clock::now()));
    svc.router().route(make_result(s, std::move(t)));
    return core::hook_result::handled;
  });
  svc.add_feature(std::string(time_ns));
}

}  // namespace ofs::im
