// Receipts for stanzas whose loss matters: a ping after them, answered by the client in order.
// With stream management (XEP-0198) the client's acks confirm instead (c2s_session).
#include "server/xmpp/c2s_stream.hpp"

namespace ofs::xmpp {

void c2s_stream::await_receipt(receipt_fn done) {
  unconfirmed_.push_back(std::move(done));
  if (receipt_ping_id_.empty()) send_receipt_ping();
}

void c2s_stream::send_receipt_ping() {
  confirming_ = std::exchange(unconfirmed_, {});
  receipt_ping_id_ = "ofs-receipt-" + std::to_string(++pings_);
  core::element ping("iq", "jabber:client");
  ping.set_attr("type", "get").set_attr("id", receipt_ping_id_);
  ping.set_attr("from", domain_).set_attr("to", jid_.str());
  ping.add_child(core::element("ping", "urn:xmpp:ping"));
  send_stanza(ping);
}

// A result, or an error from a client without XEP-0199: either proves it read what came before.
bool c2s_stream::is_receipt_answer(const core::element& iq) const {
  if (receipt_ping_id_.empty() || iq.name() != "iq" || iq.attr("id") != receipt_ping_id_) return false;
  auto type = iq.attr("type");
  return type == "result" || type == "error";
}

void c2s_stream::on_receipt_answer() {
  auto received = std::exchange(confirming_, {});
  receipt_ping_id_.clear();
  if (!unconfirmed_.empty()) send_receipt_ping();
  for (auto& done : received) done(true);
}

void c2s_stream::fail_receipts() {
  auto lost = std::exchange(confirming_, {});
  for (auto& done : std::exchange(unconfirmed_, {})) lost.push_back(std::move(done));
  receipt_ping_id_.clear();
  for (auto& done : lost) done(false);
}

}  // namespace ofs::xmpp
