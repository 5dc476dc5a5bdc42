#include "tests/bench/client.hpp"

#include <cstdio>
#include <cstdlib>

#include "server/auth/base64.hpp"
#include "server/xml/serializer.hpp"
#include "tests/bench/scram_client.hpp"

namespace ofs::bench {
namespace asio = boost::asio;

namespace {

constexpr std::string_view sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view tls_ns = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view bind_ns = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view sm_ns = "urn:xmpp:sm:3";

std::string iq_result(const core::element& request) {
  std::string out = "<iq type='result' id='";
  xml::append_escaped_attr(request.attr("id"), out);
  if (auto from = request.attr("from"); !from.empty()) {
    out += "' to='";
    xml::append_escaped_attr(from, out);
  }
  out += "'/>";
  return out;
}

}  // namespace

client::client(asio::io_context& io, std::string user, const login_options& opts, asio::ip::address source)
    : transport_(opts.ws_path.empty() ? make_tcp_transport(io, source)
                                      : make_ws_transport(io, opts.domain, opts.ws_path)),
      options_(opts),
      user_(std::move(user)),
      bare_(user_ + "@" + opts.domain) {
  transport_->on_failure = [this](std::string why) { fail(std::move(why)); };
}

bool client::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  close();
  return false;
}

// Connects and opens the stream.
asio::awaitable<bool> client::connect() {
  const std::string error = co_await transport_->connect(options_.server);
  if (!error.empty()) co_return fail(error);
  transport_->open_stream(options_.domain);
  co_return true;
}

asio::awaitable<bool> client::login() {
  bool ok = co_await authenticate();
  if (ok) ok = co_await bind();
  co_return ok;
}

// Connect, STARTTLS if asked, SASL: up to the restarted stream's header.
asio::awaitable<bool> client::authenticate() {
  const bool connected = co_await connect();
  if (!connected) co_return false;
  auto features = co_await next_stanza();
  if (!features) co_return fail("no stream features");
  if (options_.tls) {
    if (!features->child("starttls", tls_ns)) co_return fail("STARTTLS not offered");
    const bool secured = co_await start_tls();
    if (!secured) co_return false;
    features = co_await next_stanza();
    if (!features) co_return fail("no stream features after STARTTLS");
  }
  const bool authenticated = co_await sasl(std::move(*features));
  co_return authenticated;
}

// SASL PLAIN or SCRAM with the mechanisms of `features`, then the stream restart.
asio::awaitable<bool> client::sasl(core::element features) {
  const std::string mechanism = !options_.scram                       ? "PLAIN"
                                : *options_.scram == scram_hash::sha1 ? "SCRAM-SHA-1"
                                                                      : "SCRAM-SHA-256";
  bool offered = false;
  if (auto* mechs = features.child("mechanisms", sasl_ns))
    for (const auto& m : mechs->children()) offered = offered || m.text() == mechanism;
  if (!offered) co_return fail(mechanism + " not offered");
  std::optional<core::element> outcome;
  if (options_.scram) {
    outcome = co_await scram_exchange();
  } else {
    std::string credentials = std::string(1, '\0') + user_ + '\0' + options_.password;
    send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" +
         auth::base64_encode(credentials) + "</auth>");
    outcome = co_await next_stanza();
  }
  if (!outcome || outcome->name() != "success") co_return fail("SASL " + mechanism + " failed");
  parser_.reset();
  transport_->open_stream(options_.domain);
  co_return true;
}

// SCRAM up to the server's last word, <success/> (with a server signature that verifies) or
// <failure/> (nullopt: none came, or the signature is wrong).
asio::awaitable<std::optional<core::element>> client::scram_exchange() {
  scram_client scram(*options_.scram, user_, options_.password, options_.scram_keys);
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='" + std::string(scram.mechanism()) + "'>" +
       auth::base64_encode(scram.first()) + "</auth>");
  auto challenge = co_await next_stanza();
  if (!challenge || challenge->name() != "challenge") co_return challenge;
  const auto server_first = auth::base64_decode(challenge->text());
  const auto final = server_first ? scram.final(*server_first) : std::nullopt;
  if (!final) {
    fail("unusable SCRAM challenge");
    co_return std::nullopt;
  }
  send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>" + auth::base64_encode(*final) + "</response>");
  auto outcome = co_await next_stanza();
  if (outcome && outcome->name() == "success") {
    const auto server_final = auth::base64_decode(outcome->text());
    if (!server_final || !scram.verify(*server_final)) {
      fail("the server's SCRAM signature does not verify");
      co_return std::nullopt;
    }
  }
  co_return outcome;
}

// Resource binding, roster, initial presence; a ping's answer says all of it was handled.
asio::awaitable<bool> client::bind() {
  auto features = co_await next_stanza();
  if (!features || !features->child("bind", bind_ns)) co_return fail("no bind feature");
  send(
      "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
      "<resource>bench</resource></bind></iq>");
  for (;;) {  // replies come in order; anything else before them is ignored
    auto e = co_await next_stanza();
    if (!e) co_return fail("no bind result");
    if (e->name() != "iq" || e->attr("id") != "bind") continue;
    if (e->attr("type") != "result") co_return fail("bind refused");
    if (auto* b = e->child("bind", bind_ns)) full_ = b->child_text("jid", bind_ns);
    break;
  }
  if (options_.stream_management) {
    send("<enable xmlns='urn:xmpp:sm:3'/>");
    sm_requested_ = true;
  }
  if (options_.fetch_roster) send_stanza("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
  if (options_.initial_presence) send_stanza("<presence/>");
  send_stanza("<iq type='get' id='ready' to='" + options_.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>");
  // A server may answer the ping before the roster (it loads the roster from its store).
  bool roster_pending = options_.fetch_roster, ready = false;
  while (!ready || roster_pending) {
    auto e = co_await next_stanza();
    if (!e) co_return fail(ready ? "no roster" : "no ping answer");
    if (e->name() == "failed" && e->xmlns() == sm_ns) co_return fail("stream management refused");
    if (stream_management(*e) || auto_reply(*e)) continue;
    if (e->name() == "iq" && e->attr("id") == "roster") {
      roster_pending = false;
      if (const auto* q = e->child("query", "jabber:iq:roster"))
        for (const auto& item : q->children()) roster_both_ += item.attr("subscription") == "both";
    }
    if (e->name() == "iq" && e->attr("id") == "ready") ready = true;
  }
  if (options_.stream_management && !sm_enabled_) co_return fail("stream management not enabled");
  co_return true;
}

// XEP-0077 in-band registration on a fresh stream, then closes: how the benchmark makes
// accounts on a server whose own tool costs a process per account.
asio::awaitable<bool> client::register_account() {
  const bool connected = co_await connect();
  if (!connected) co_return false;
  auto features = co_await next_stanza();
  if (!features) co_return fail("no stream features");
  if (options_.tls) {  // a server that requires TLS takes registrations after it only
    const bool secured = co_await start_tls();
    if (!secured) co_return false;
    features = co_await next_stanza();
    if (!features) co_return fail("no stream features after STARTTLS");
  }
  std::string iq = "<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>";
  xml::append_escaped_text(user_, iq);
  iq += "</username><password>";
  xml::append_escaped_text(options_.password, iq);
  iq += "</password></query></iq>";
  send(iq);
  for (;;) {
    auto e = co_await next_stanza();
    if (!e) co_return fail("no registration answer");
    if (e->name() != "iq" || e->attr("id") != "reg") continue;
    const auto* error = e->child("error");
    const bool exists = error && error->child("conflict", "urn:ietf:params:xml:ns:xmpp-stanzas");
    if (e->attr("type") != "result" && !exists) co_return fail("registration refused: " + xml::to_string(*e));
    break;
  }
  close();
  co_return true;
}

asio::awaitable<bool> client::start_tls() {
  send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
  auto proceed = co_await next_stanza();
  if (!proceed || proceed->name() != "proceed") co_return fail("STARTTLS refused");
  // <proceed/> is the last plaintext: nothing of ours may still be queued behind it.
  const std::string error = co_await transport_->start_tls(*options_.tls, user_);
  if (!error.empty()) co_return fail(error);
  parser_.reset();
  transport_->open_stream(options_.domain);
  co_return true;
}

asio::awaitable<bool> client::read_more() {
  if (closed_) co_return false;
  const bool more = co_await transport_->read(parser_);
  co_return more;
}

asio::awaitable<std::optional<core::element>> client::next_stanza() {
  for (;;) {
    while (auto ev = parser_.next()) {
      if (auto* s = std::get_if<xml::stanza_event>(&*ev)) co_return std::move(s->xml);
      if (std::holds_alternative<xml::close_event>(*ev)) co_return std::nullopt;
    }
    if (parser_.error()) {
      fail("unparsable data from the server: " + parser_.error_detail());
      co_return std::nullopt;
    }
    if (!co_await read_more()) co_return std::nullopt;
  }
}

asio::awaitable<void> client::read_loop() {
  for (;;) {
    while (auto ev = parser_.next()) {
      if (std::holds_alternative<xml::close_event>(*ev)) {
        fail("the server closed the stream");
        co_return;
      }
      auto* s = std::get_if<xml::stanza_event>(&*ev);
      if (!s) continue;
      if (s->xml.name() == "error") {
        fail("stream error from the server: " + xml::to_string(s->xml, "jabber:client"));
        co_return;
      }
      if (trace) std::fprintf(stderr, "%s <- %s\n", user_.c_str(), xml::to_string(s->xml).c_str());
      if (stream_management(s->xml)) continue;
      auto_reply(s->xml);
      if (on_stanza) on_stanza(s->xml);
    }
    if (parser_.error()) {
      fail("unparsable data from the server: " + parser_.error_detail());
      co_return;
    }
    if (!co_await read_more()) {
      fail("connection lost");
      co_return;
    }
  }
}

bool client::auto_reply(const core::element& e) {
  if (e.name() != "iq") return false;
  auto type = e.attr("type");
  if (type == "get" && e.child("ping", "urn:xmpp:ping")) {
    send(iq_result(e));
    return true;
  }
  if (type == "set" && e.child("query", "jabber:iq:roster")) send(iq_result(e));  // RFC 6121 2.1.6
  return false;
}

bool client::stream_management(const core::element& e) {
  if (!sm_requested_) return false;
  if (e.xmlns() == sm_ns) {
    if (e.name() == "enabled") sm_enabled_ = true;
    if (e.name() == "r")
      send("<a xmlns='urn:xmpp:sm:3' h='" + std::to_string(received_stanzas_ % (1ull << 32)) + "'/>");
    if (e.name() == "a")
      acked_ += (std::strtoull(std::string(e.attr("h")).c_str(), nullptr, 10) - acked_) % (1ull << 32);
    return true;
  }
  if (sm_enabled_ && (e.name() == "message" || e.name() == "presence" || e.name() == "iq"))
    ++received_stanzas_;
  return false;
}

void client::send_stanza(std::string_view xml) {
  send(xml);
  if (!sm_requested_) return;
  if (++sent_stanzas_ % options_.ack_every == 0) request_ack();
}

void client::request_ack() {
  if (sm_requested_) send("<r xmlns='urn:xmpp:sm:3'/>");
}

void client::send(std::string_view xml) {
  if (trace) std::fprintf(stderr, "%s -> %.*s\n", user_.c_str(), static_cast<int>(xml.size()), xml.data());
  if (closed_) return;
  transport_->send(xml);
}

void client::close() {
  if (closed_) return;
  closed_ = true;
  transport_->close();
}

}  // namespace ofs::bench
