// The web widget's side of c2s_stream: after a password login it asks for a login token
// (login/widget_tokens) that lets a reload past the stream management window in without the
// password (a visitor's keeps its name); logging out revokes the account's tokens. Only over WebSocket and
// BOSH: the tokens are the widget's, not every client's.
#include <spdlog/spdlog.h>

#include "server/im/feature_support.hpp"
#include "server/login/widget_tokens.hpp"
#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {
namespace {

constexpr std::string_view widget_token_ns = "urn:ofs:widget-token:0";

}  // namespace

bool c2s_stream::web_transport() const {
  auto kind = io().kind();
  return kind == "websocket" || kind == "bosh";
}

bool c2s_stream::on_widget_iq(const core::element& e) {
  if (e.name() != "iq" || e.attr("type") != "set") return false;
  const core::element* request = e.child("request", widget_token_ns);
  const core::element* revoke = e.child("revoke", widget_token_ns);
  if (!request && !revoke) return false;
  if (auto to = e.attr("to"); !to.empty() && to != domain_ && to != jid_.bare().str()) return false;
  if (!options_.tokens) return reply_error(e, core::condition::feature_not_implemented), true;
  if (!web_transport()) return reply_error(e, core::condition::not_allowed), true;

  core::element result("iq", "jabber:client");
  result.set_attr("type", "result").set_attr("id", std::string(e.attr("id"))).set_attr("to", jid_.str());
  if (request) {
    auto token = options_.tokens->issue(jid_.bare());
    result.add_child(core::element("token", std::string(widget_token_ns)))
        .set_attr("mechanism", std::string(auth::token_mechanism))
        .set_attr("secret", token.secret)
        .set_attr("expiry", im::utc_timestamp(token.expiry));
    spdlog::info("{} {}: issued a widget login token to {}", connection_id(), remote_address(), jid_.str());
  } else {
    auto n = options_.tokens->revoke(jid_.bare());
    result.add_child(core::element("revoked", std::string(widget_token_ns)))
        .set_attr("count", std::to_string(n));
    spdlog::info("{} {}: {} revoked its {} widget login tokens", connection_id(), remote_address(),
                 jid_.str(), n);
  }
  send_stanza(result);
  return true;
}

}  // namespace ofs::xmpp
