#include "server/xmpp/c2s_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "server/login/login.hpp"
#include "server/xml/serializer.hpp"
#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {
namespace {

constexpr std::string_view streams_ns = "urn:ietf:params:xml:ns:xmpp-streams";

bool is_stanza_name(std::string_view n) { return n == "message" || n == "presence" || n == "iq"; }

// RFC 6120 8.2.3: an iq has an id, one of four types, and get/set carry exactly one payload.
bool valid_iq(const core::element& e) {
  auto type = e.attr("type");
  if (e.attr("id").empty()) return false;
  if (type == "result" || type == "error") return true;
  if (type != "get" && type != "set") return false;
  std::size_t payloads = 0;
  for (const auto& c : e.children()) payloads += !c.is_text();
  return payloads == 1;
}

}  // namespace

c2s_stream::c2s_stream(std::shared_ptr<stream_driver> driver, im::service& im, const c2s_options& opts)
    : driver_(driver.get()), session_(driver), im_(im), options_(opts) {}

c2s_stream::~c2s_stream() = default;

xmpp::transport& c2s_stream::io() const { return driver_->io(); }
std::string c2s_stream::remote_address() const {  // from any thread
  auto session = session_.lock();
  return session ? session->io().remote_address() : "gone";
}

std::string_view c2s_stream::transport() const {  // from any thread
  auto session = session_.lock();
  return session ? session->io().kind() : "gone";
}

void c2s_stream::end_stream() {
  closing_ = true;
  driver_->close_stream();
}

void c2s_stream::deliver(core::stanza s) {
  auto session = session_.lock();
  if (!session) return im_.router().undeliverable(std::move(s), *this);  // the session ended
  session->post([self = shared_from_this(), s = std::move(s)]() mutable {
    // Nothing more is written once closing: the router finds the stanza another way.
    if (self->closing_ || !self->bound_) return self->im_.router().undeliverable(std::move(s), *self);
    self->write_element(s.xml());
  });
}

void c2s_stream::deliver(core::stanza s, std::function<void(bool)> received) {
  auto session = session_.lock();
  if (!session) return received(false);
  session->post([self = shared_from_this(), s = std::move(s), received = std::move(received)]() mutable {
    if (self->closing_ || !self->bound_) return received(false);
    self->write_element(s.xml());
    self->await_receipt(std::move(received));
  });
}

void c2s_stream::terminate(std::string_view condition, std::string_view text) {
  auto session = session_.lock();
  if (!session) return;
  session->post([self = shared_from_this(), c = std::string(condition), t = std::string(text)] {
    self->stream_error(c, t);
  });
}

void c2s_stream::write_element(const core::element& e) {
  std::string out;
  xml::serialize(e, out, io().output_context());
  io().write(std::move(out));
}

void c2s_stream::stream_error(std::string_view condition, std::string_view text) {
  if (closing_) return;
  if (!stream_open_) {  // RFC 6120 4.9.1.2: open the stream before the error
    io().open_stream("from='" + (domain_.empty() ? options_.domains.front() : domain_) + "' version='1.0'");
    stream_open_ = true;
  }
  spdlog::debug("c2s {}: stream error {} {}", jid_.empty() ? remote_address() : jid_.str(), condition, text);
  core::element err("error", "http://etherx.jabber.org/streams");
  err.add_child(core::element(std::string(condition), std::string(streams_ns)));
  if (!text.empty())
    err.add_child(core::element("text", std::string(streams_ns))).add_text(std::string(text));
  write_element(err);
  end_stream();
}

void c2s_stream::on_parse_error(error_code ec) {
  if (ec.category() == xml::parser_category())
    stream_error(xml::stream_condition(static_cast<xml::parser_error>(ec.value())), ec.message());
  else
    stream_error("not-well-formed");
}

void c2s_stream::on_timeout() { stream_error("connection-timeout"); }

void c2s_stream::send_ping() {
  if (!bound_ || closing_) return;
  core::element ping("iq", "jabber:client");
  ping.set_attr("type", "get").set_attr("id", "ofs-ping-" + std::to_string(++pings_));
  ping.set_attr("from", domain_).set_attr("to", jid_.str());
  ping.add_child(core::element("ping", "urn:xmpp:ping"));
  write_element(ping);
}

void c2s_stream::on_closed() {
  fail_receipts();
  if (bound_) {
    bound_ = false;
    im_.unbind(*this);
  }
  closing_ = true;
}

void c2s_stream::unsent(std::string_view output) {
  xml::parser_limits limits;
  limits.max_stanza_bytes = std::max(limits.max_stanza_bytes, output.size());
  xml::stream_parser parser(limits);
  if (parser.feed_document(output)) return;  // our own output: always one element
  auto ev = parser.next();
  auto* stanza = ev ? std::get_if<xml::stanza_event>(&*ev) : nullptr;
  // Features, SASL and stream errors belong to this stream alone; only stanzas go on.
  if (!stanza || stanza->xml.xmlns() != "jabber:client" || !is_stanza_name(stanza->xml.name())) return;
  if (auto s = core::stanza::from_element(std::move(stanza->xml)))
    im_.router().undeliverable(std::move(*s), *this);
}

bool c2s_stream::handle_now(xml::stream_event& ev) {
  auto* stanza = std::get_if<xml::stanza_event>(&ev);
  if (!bound_ || !stanza) return false;
  on_stanza(std::move(stanza->xml));
  return true;
}

boost::asio::awaitable<void> c2s_stream::on_event(xml::stream_event ev) {
  if (auto* open = std::get_if<xml::open_event>(&ev)) {
    on_open(*open);
  } else if (std::holds_alternative<xml::close_event>(ev)) {
    end_stream();  // answer the peer's </stream:stream> with ours
  } else if (bound_) {
    on_stanza(std::move(std::get<xml::stanza_event>(ev).xml));
  } else {
    co_await on_negotiation_element(std::move(std::get<xml::stanza_event>(ev).xml));
  }
}

void c2s_stream::reply_error(const core::element& request, core::condition c) {
  // Built from the request's name and id only: its addresses may be what is wrong.
  core::element reply(request.name(), "jabber:client");
  reply.set_attr("type", "error");
  if (auto id = request.attr("id"); !id.empty()) reply.set_attr("id", std::string(id));
  reply.set_attr("to", jid_.str());
  reply.add_child(core::make_error_element(core::stanza_error(c)));
  write_element(reply);
}

void c2s_stream::on_stanza(core::element e) {
  if (e.xmlns() != "jabber:client" || !is_stanza_name(e.name()))
    return stream_error("unsupported-stanza-type", "<" + e.name() + "/> is not a stanza");
  if (e.name() == "iq" && !valid_iq(e)) return reply_error(e, core::condition::bad_request);
  if (is_receipt_answer(e)) return on_receipt_answer();
  // RFC 3921 session establishment comes after binding (strophe.js sends it even when
  // optional): a no-op, answered here as it is before binding.
  if (e.name() == "iq" && e.attr("type") == "set" && (e.attr("to").empty() || e.attr("to") == domain_) &&
      e.child("session", "urn:ietf:params:xml:ns:xmpp-session")) {
    core::element result("iq", "jabber:client");
    result.set_attr("type", "result").set_attr("id", std::string(e.attr("id")));
    return write_element(result);
  }
  // RFC 6120 8.1.2.1: the server stamps 'from'; a client may only name itself.
  if (auto from = e.attr("from"); !from.empty()) {
    auto claimed = core::jid::parse(from);
    if (!claimed || (*claimed != jid_ && *claimed != jid_.bare()))
      return stream_error("invalid-from", "'from' is not this session's address");
  }
  auto s = core::stanza::from_element(std::move(e), jid_);
  if (!s) return reply_error(e, core::condition::jid_malformed);  // e is intact then
  im_.from_client(*this, std::move(*s));
}

}  // namespace ofs::xmpp
