#include "server/im/multicast.hpp"

#include <set>
#include <vector>

#include "server/im/feature_support.hpp"
#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view address_ns = "http://jabber.org/protocol/address";

bool delivers_to(const core::element& a) {
  const auto type = a.attr("type");
  return a.name() == "address" && a.xmlns() == address_ns && a.attr("delivered") != "true" &&
         (type == "to" || type == "cc" || type == "bcc");
}

// A message from a local user to the domain with <addresses/>: a copy to each recipient,
// once per JID, each without the 'bcc' addresses and with every address served marked
// delivered (XEP-0033 5), so that no later hop sends it again.
core::hook_result multicast(service& svc, core::stanza& s) {
  core::element* addresses = s.mutable_xml().child("addresses", address_ns);
  if (!addresses || s.type() == "error") return core::hook_result::pass;
  auto& router = svc.router();
  if (s.from().node().empty() || !router.is_local_domain(s.from().domain())) {
    router.bounce(s, core::stanza_error(core::condition::forbidden, core::error_type::auth,
                                        "Multicast is for this server's users"));
    return core::hook_result::handled;
  }
  std::vector<core::jid> recipients;
  std::set<std::string> seen;
  for (const auto& a : addresses->children()) {
    if (a.is_text() || !delivers_to(a)) continue;
    auto j = core::jid::parse(a.attr("jid"));
    if (!j) {
      router.bounce(s, core::stanza_error(core::condition::jid_malformed, core::error_type::modify,
                                          "Every 'to', 'cc' and 'bcc' address needs a valid jid"));
      return core::hook_result::handled;
    }
    if (seen.insert(j->str()).second) recipients.push_back(std::move(*j));
  }
  if (recipients.empty()) {
    router.bounce(s, core::stanza_error(core::condition::bad_request, core::error_type::modify,
                                        "No address left to deliver to"));
    return core::hook_result::handled;
  }
  if (recipients.size() > svc.config().multicast_max_recipients) {
    router.bounce(s, core::stanza_error(core::condition::not_acceptable, core::error_type::modify,
                                        "Too many recipients: at most " +
                                            std::to_string(svc.config().multicast_max_recipients)));
    return core::hook_result::handled;
  }
  auto& list = addresses->children();
  std::erase_if(list, [](const core::element& a) { return !a.is_text() && a.attr("type") == "bcc"; });
  for (auto& a : list)
    if (!a.is_text() && delivers_to(a)) a.set_attr("delivered", "true");
  for (const auto& to : recipients) {
    core::stanza copy = s;
    copy.set_to(to);
    router.route(std::move(copy));
  }
  return core::hook_result::handled;
}

}  // namespace

void install_multicast(service& svc) {
  svc.router().add_hook(core::stanza_kind::message, core::route_target::host, 0,
                        [&svc](core::stanza& s) { return multicast(svc, s); });
  svc.add_feature(std::string(address_ns));
}

}  // namespace ofs::im
