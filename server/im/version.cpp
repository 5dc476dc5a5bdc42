#include "server/im/version.hpp"

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view version_ns = "jabber:iq:version";

}  // namespace

void install_version(service& svc) {
  auto& r = svc.router();
  r.add_iq_handler(core::route_target::host, std::string(version_ns), [&svc](core::stanza& s) {
    if (s.type() == "set") svc.router().bounce(s, core::stanza_error(core::condition::bad_request));
    if (s.type() != "get") return core::hook_result::handled;
    const auto& cfg = svc.config();
    core::element query("query", std::string(version_ns));
    query.add_child(core::element("name", std::string(version_ns))).add_text(cfg.server_name);
    // <version/> is required in a result; an unset version is reported as such.
    query.add_child(core::element("version", std::string(version_ns)))
        .add_text(cfg.server_version.empty() ? "unknown" : cfg.server_version);
    svc.router().route(make_result(s, std::move(query)));
    return core::hook_result::handled;
  });
  svc.add_feature(std::string(version_ns));
}

}  // namespace ofs::im
