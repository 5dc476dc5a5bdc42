#include "server/xmpp/c2s_stream.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

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
    : driver_(driver.get()), driver_ref_(driver), im_(im), options_(opts) {}

c2s_stream::~c2s_stream() = default;

xmpp::transport& c2s_stream::io() const { return driver_->io(); }
std::string c2s_stream::remote_address() const {  // from any thread
  auto driver = driver_ref_.lock();
  return driver ? driver->io().remote_address() : "gone";
}

std::string c2s_stream::connection_id() const {  // from any thread
  auto driver = driver_ref_.lock();
  return driver ? driver->io().connection_id() : "gone";
}

std::string_view c2s_stream::transport_kind() const {  // from any thread
  auto driver = driver_ref_.lock();
  return driver ? driver->io().kind() : "gone";
}

void c2s_stream::end_stream() {
  closing_ = true;
  if (ack_timer_) ack_timer_->cancel();
  // A close or a stream error ends the session now: what it could not write goes elsewhere.
  if (session_ && !resumable_end_) std::exchange(session_, nullptr)->stream_closed(this, false);
  driver_->close_stream();
}

void c2s_stream::wake() {
  if (auto driver = driver_ref_.lock()) driver->post([self = shared_from_this()] { self->on_wake(); });
}

void c2s_stream::post_stream_error(std::string condition, std::string text) {
  if (auto driver = driver_ref_.lock())
    driver->post([self = shared_from_this(), c = std::move(condition), t = std::move(text)] {
      self->stream_error(c, t);
    });
}

void c2s_stream::post_close() {
  if (auto driver = driver_ref_.lock())
    driver->post([self = shared_from_this()] {
      // The session went to another connection: this one ends without a word to it.
      self->session_.reset();
      self->bound_ = false;
      self->closing_ = true;
      self->io().close();
    });
}

void c2s_stream::on_wake() {
  if (!session_ || closing_) return;
  auto out = session_->take_output(this);
  for (const auto& a : out.answers) {
    core::element e(a.kind == inbound_counter::answer_kind::ack ? "a" : "resumed", std::string(sm_ns));
    e.set_attr("h", std::to_string(a.h));
    if (a.kind == inbound_counter::answer_kind::resumed) e.set_attr("previd", session_->sm_id());
    write_element(e);
  }
  // On a byte stream the stanzas of one wake go out as few strings: one allocation and one
  // buffer of the gathered write per 16 KiB rather than per stanza (entering a room queues
  // one presence per occupant). A WebSocket message or BOSH payload unit stays one stanza.
  constexpr std::size_t batch_bytes = 16 * 1024;
  const bool coalesce = io().framing() == input_framing::byte_stream;
  std::string batch;
  for (auto& w : out.writes) {
    if (!coalesce) {
      write_stanza(w.s);
    } else {
      xml::serialize(w.s, batch, io().output_context());
      if (batch.size() >= batch_bytes || w.received) io().write(std::exchange(batch, {}));
    }
    if (w.received) await_receipt(std::move(w.received));  // without stream management
  }
  if (!batch.empty()) io().write(std::move(batch));
  if (out.sm) after_writes(out.unacked);
}

void c2s_stream::write_element(const core::element& e) {
  std::string out;
  xml::serialize(e, out, io().output_context());
  io().write(std::move(out));
}

void c2s_stream::write_stanza(const core::stanza& s) {
  std::string out;
  xml::serialize(s, out, io().output_context());
  io().write(std::move(out));
}

void c2s_stream::stream_error(std::string_view condition, std::string_view text) {
  if (closing_) return;
  // A client that went silent may come back and resume (XEP-0198); any other error ends it.
  resumable_end_ = condition == "connection-timeout";
  if (!stream_open_) {  // RFC 6120 4.9.1.2: open the stream before the error
    io().open_stream("from='" + (domain_.empty() ? options_.domains.front() : domain_) + "' version='1.0'");
    stream_open_ = true;
  }
  spdlog::debug("{} {}: stream error {} {}", connection_id(), jid_.empty() ? remote_address() : jid_.str(),
                condition, text);
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
  send_stanza(ping);
}

void c2s_stream::on_closed() {
  fail_receipts();
  if (ack_timer_) ack_timer_->cancel();
  bound_ = false;
  closing_ = true;
  // Lost without a close: a session with resumption waits for the client to come back.
  if (session_) std::exchange(session_, nullptr)->stream_closed(this, resumable_end_);
}

void c2s_stream::unsent(std::string_view output) {
  // Only a bound session's stanzas go on; with stream management its queue keeps what the
  // client has not acknowledged, and re-routes that when the session ends.
  if (!session_ || sm_) return;
  xml::parser_limits limits;
  limits.max_stanza_bytes = std::max(limits.max_stanza_bytes, output.size());
  xml::stream_parser parser(limits);
  if (parser.feed_document(output)) return;  // our own output: always one element
  auto ev = parser.next();
  auto* stanza = ev ? std::get_if<xml::stanza_event>(&*ev) : nullptr;
  // Features, SASL and stream errors belong to this stream alone; only stanzas go on.
  if (!stanza || stanza->xml.xmlns() != "jabber:client" || !is_stanza_name(stanza->xml.name())) return;
  if (auto s = core::stanza::from_element(std::move(stanza->xml)))
    im_.router().undeliverable(std::move(*s), *session_);
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
    resumable_end_ = false;  // XEP-0198 7: a closed stream cannot be resumed
    end_stream();            // answer the peer's </stream:stream> with ours
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
  send_stanza(reply);
}

void c2s_stream::send_stanza(const core::element& e) {
  if (!sm_ || !session_) return write_element(e);
  core::element copy = e;
  auto s = core::stanza::from_element(std::move(copy));
  if (!s) return write_element(e);  // our own addresses: always valid
  session_->send_own(std::move(*s));
  on_wake();
}

void c2s_stream::on_stanza(core::element e) {
  if (on_sm_element(e)) return;
  if (e.xmlns() != "jabber:client" || !is_stanza_name(e.name()))
    return stream_error("unsupported-stanza-type", "<" + e.name() + "/> is not a stanza");
  // XEP-0198: every stanza counts, and is handled once the IM layer is done with it.
  std::optional<std::uint64_t> seq;
  if (sm_) {
    seq = session_->receive(this);
    if (!seq) return;  // the session went to another connection
  }
  auto done = [&] {
    if (seq) session_->handled(*seq);
  };
  if (e.name() == "iq" && !valid_iq(e)) return reply_error(e, core::condition::bad_request), done();
  if (is_receipt_answer(e)) return on_receipt_answer(), done();
  if (on_widget_iq(e)) return done();
  // RFC 6120 8.1.2.1: the server stamps 'from'; a client may only name itself.
  if (auto from = e.attr("from"); !from.empty()) {
    auto claimed = core::jid::parse(from);
    if (!claimed || (*claimed != jid_ && *claimed != jid_.bare()))
      return stream_error("invalid-from", "'from' is not this session's address");
  }
  auto s = core::stanza::from_element(std::move(e), jid_);
  if (!s) return reply_error(e, core::condition::jid_malformed), done();  // e is intact then
  if (seq) s->set_handling(session_->handling_token(*seq));
  im_.from_client(*session_, std::move(*s));
}

}  // namespace ofs::xmpp
