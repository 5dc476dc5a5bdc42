#include "tests/bench/client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cstdio>

#include "server/auth/base64.hpp"
#include "server/xml/serializer.hpp"
#include "tests/bench/scram_client.hpp"

namespace ofs::bench {
namespace asio = boost::asio;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr std::string_view sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view tls_ns = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view bind_ns = "urn:ietf:params:xml:ns:xmpp-bind";

// The parser copies what it keeps and a plaintext read is fed before the next suspension,
// so one buffer serves every client (5,000 idle clients need no 5,000 buffers).
std::array<char, 64 * 1024>& shared_read_buffer() {
  static std::array<char, 64 * 1024> buffer;
  return buffer;
}

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

client::client(asio::io_context& io, std::string user, const login_options& opts)
    : socket_(io), options_(opts), user_(std::move(user)), bare_(user_ + "@" + opts.domain) {}

bool client::fail(std::string why) {
  if (error_.empty()) error_ = std::move(why);
  close();
  return false;
}

void client::open_stream() {
  std::string header = "<?xml version='1.0'?><stream:stream to='";
  xml::append_escaped_attr(options_.domain, header);
  header += "' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>";
  send(header);
}

asio::awaitable<bool> client::login() {
  bool ok = co_await authenticate();
  if (ok) ok = co_await bind();
  co_return ok;
}

// Connect, STARTTLS if asked, SASL: up to the restarted stream's header.
asio::awaitable<bool> client::authenticate() {
  auto [cec] = co_await socket_.async_connect(options_.server, nothrow);
  if (cec) co_return fail("connect: " + cec.message());
  boost::system::error_code ignored;
  socket_.set_option(asio::ip::tcp::no_delay(true), ignored);
  socket_.non_blocking(true, ignored);
  open_stream();
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

// SASL PLAIN or SCRAM-SHA-1 with the mechanisms of `features`, then the stream restart.
asio::awaitable<bool> client::sasl(core::element features) {
  const std::string mechanism = options_.scram ? "SCRAM-SHA-1" : "PLAIN";
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
  open_stream();
  co_return true;
}

// SCRAM-SHA-1 up to the server's last word, <success/> or <failure/> (nullopt: none came).
asio::awaitable<std::optional<core::element>> client::scram_exchange() {
  scram_sha1_client scram(user_, options_.password);
  send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>" +
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
  if (options_.fetch_roster) send("<iq type='get' id='roster'><query xmlns='jabber:iq:roster'/></iq>");
  if (options_.initial_presence) send("<presence/>");
  send("<iq type='get' id='ready' to='" + options_.domain + "'><ping xmlns='urn:xmpp:ping'/></iq>");
  for (;;) {
    auto e = co_await next_stanza();
    if (!e) co_return fail("no ping answer");
    if (auto_reply(*e)) continue;
    if (e->name() == "iq" && e->attr("id") == "roster")
      if (const auto* q = e->child("query", "jabber:iq:roster"))
        for (const auto& item : q->children()) roster_both_ += item.attr("subscription") == "both";
    if (e->name() == "iq" && e->attr("id") == "ready") break;
  }
  co_return true;
}

// XEP-0077 in-band registration on a fresh stream, then closes: how the benchmark makes
// accounts on a server whose own tool costs a process per account.
asio::awaitable<bool> client::register_account() {
  auto [cec] = co_await socket_.async_connect(options_.server, nothrow);
  if (cec) co_return fail("connect: " + cec.message());
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
  open_stream();
  auto features = co_await next_stanza();
  if (!features) co_return fail("no stream features");
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
  tls_ = std::make_unique<tls_stream>(socket_, *options_.tls);
  tls_buffer_ = std::make_unique<std::array<char, 16384>>();
  boost::system::error_code ignored;
  socket_.non_blocking(false, ignored);
  auto [ec] = co_await tls_->async_handshake(asio::ssl::stream_base::client, nothrow);
  if (ec) co_return fail("TLS handshake: " + ec.message());
  parser_.reset();
  open_stream();
  co_return true;
}

asio::awaitable<bool> client::read_more() {
  if (closed_) co_return false;
  if (tls_) {
    auto [ec, n] = co_await tls_->async_read_some(asio::buffer(*tls_buffer_), nothrow);
    if (ec) co_return false;
    parser_.feed({tls_buffer_->data(), n});
    co_return true;
  }
  for (;;) {
    auto [ec] = co_await socket_.async_wait(asio::ip::tcp::socket::wait_read, nothrow);
    if (ec || closed_) co_return false;
    auto& buffer = shared_read_buffer();
    boost::system::error_code rec;
    std::size_t n = socket_.read_some(asio::buffer(buffer), rec);
    if (rec == asio::error::would_block) continue;
    if (rec) co_return false;
    parser_.feed({buffer.data(), n});
    co_return true;
  }
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

void client::send(std::string_view xml) {
  if (trace) std::fprintf(stderr, "%s -> %.*s\n", user_.c_str(), static_cast<int>(xml.size()), xml.data());
  if (closed_) return;
  out_.append(xml);
  if (!writing_) flush();
}

void client::flush() {
  if (out_.empty() || closed_) return;
  writing_ = true;
  std::swap(out_, inflight_);
  out_.clear();
  auto done = [this](boost::system::error_code ec, std::size_t) {
    writing_ = false;
    if (ec) {
      fail("write: " + ec.message());
      return;
    }
    flush();
  };
  if (tls_)
    asio::async_write(*tls_, asio::buffer(inflight_), done);
  else
    asio::async_write(socket_, asio::buffer(inflight_), done);
}

void client::close() {
  if (closed_) return;
  if (!writing_ && socket_.is_open() && !tls_) {  // best effort: a clean end of stream
    boost::system::error_code ignored;
    socket_.write_some(asio::buffer(std::string_view("</stream:stream>")), ignored);
  }
  closed_ = true;
  boost::system::error_code ignored;
  socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
}

}  // namespace ofs::bench
