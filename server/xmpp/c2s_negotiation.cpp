// The negotiation half of c2s_stream: stream header, features, STARTTLS, SASL and resource
// binding (RFC 6120 sections 4, 5, 6 and 7).
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/use_awaitable.hpp>

#include "server/auth/base64.hpp"
#include "server/im/disco.hpp"
#include "server/im/register.hpp"
#include "server/login/login.hpp"
#include "server/login/rate_limiter.hpp"
#include "server/xml/serializer.hpp"
#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {
namespace {

constexpr std::string_view tls_ns = "urn:ietf:params:xml:ns:xmpp-tls";
constexpr std::string_view sasl_ns = "urn:ietf:params:xml:ns:xmpp-sasl";
constexpr std::string_view bind_ns = "urn:ietf:params:xml:ns:xmpp-bind";
constexpr std::string_view session_ns = "urn:ietf:params:xml:ns:xmpp-session";

std::string random_token(std::size_t bytes) {
  std::string raw(bytes, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes));
  std::string out = auth::base64_encode(raw);
  for (char& c : out)  // usable in ids and resources as they are
    if (c == '+' || c == '/' || c == '=') c = 'x';
  return out;
}

// RFC 6120 6.4.3: an empty challenge is written as "="; an empty <success/> stays empty.
core::element sasl_element(std::string name, std::string_view payload, bool is_challenge) {
  core::element e(std::move(name), std::string(sasl_ns));
  if (!payload.empty())
    e.add_text(auth::base64_encode(payload));
  else if (is_challenge)
    e.add_text("=");
  return e;
}

// Authentication needs TLS unless configured otherwise (require_tls) or from loopback with
// allow_plain_on_loopback; transports without TLS of their own rely on this too.
bool may_authenticate(const transport& io, const c2s_options& o) {
  return io.tls_active() || !o.require_tls || (o.allow_plain_on_loopback && io.remote_is_loopback());
}

}  // namespace

void c2s_stream::on_open(const xml::open_event& e) {
  auto to = e.header.attr("to");
  auto to_jid = core::jid::parse(to);
  domain_ = to_jid ? to_jid->domain() : std::string();
  const bool hosted =
      std::find(options_.domains.begin(), options_.domains.end(), domain_) != options_.domains.end();
  std::string attrs = "from='";
  xml::append_escaped_attr(hosted ? domain_ : options_.domains.front(), attrs);
  attrs += "' id='" + random_token(12) + "' version='1.0' xml:lang='en'";
  io().open_stream(attrs);
  stream_open_ = true;
  if (to.empty() || !hosted)
    return stream_error("host-unknown", "This server does not serve " + std::string(to));
  if (e.default_ns != "jabber:client") return stream_error("invalid-namespace", "Expected jabber:client");
  if (e.header.attr("version") != "1.0") return stream_error("unsupported-version", "XMPP 1.0 is required");
  send_features();
}

auth::sasl_options c2s_stream::sasl_options() const {
  auth::sasl_options o;
  o.domain = domain_;
  o.tls = io().tls_active();
  o.allow_plain_without_tls = options_.allow_plain_on_loopback && io().remote_is_loopback();
  if (o.tls) o.cb = io().channel_binding();
  o.refuse_cb_downgrade = options_.refuse_cb_downgrade;
  o.anonymous = !options_.anonymous_domain.empty() && domain_ == options_.anonymous_domain;
  o.token = options_.tokens && web_transport();  // a visitor's too: its reload keeps its name
  return o;
}

void c2s_stream::send_features() {
  core::element features("features", "http://etherx.jabber.org/streams");
  if (!authenticated()) {
    const bool tls = io().tls_active();
    if (!tls && io().starttls_possible()) {
      auto& starttls = features.add_child(core::element("starttls", std::string(tls_ns)));
      if (options_.require_tls) starttls.add_child(core::element("required", std::string(tls_ns)));
    }
    const bool may_auth = may_authenticate(io(), options_);
    if (may_auth) {
      auto& mechs = features.add_child(core::element("mechanisms", std::string(sasl_ns)));
      const auto options = sasl_options();
      for (const auto& m : auth::mechanisms(options))
        mechs.add_child(core::element("mechanism", std::string(sasl_ns))).add_text(m);
      if (options.plus_offered()) {  // XEP-0440: which channel bindings -PLUS can use here
        auto& cb = features.add_child(core::element("sasl-channel-binding", "urn:xmpp:sasl-cb:0"));
        for (auto type : options.cb.types())
          cb.add_child(core::element("channel-binding", "urn:xmpp:sasl-cb:0"))
              .set_attr("type", std::string(type));
      }
    }
    if (may_auth && im_.config().registration)  // XEP-0077 before authentication
      features.add_child(core::element("register", std::string(im::register_feature_ns)));
  } else {
    features.add_child(core::element("bind", std::string(bind_ns)));
    features.add_child(core::element("session", std::string(session_ns)))
        .add_child(core::element("optional", std::string(session_ns)));
    features.add_child(core::element("ver", "urn:xmpp:features:rosterver"));
    if (options_.sm.enabled) features.add_child(core::element("sm", std::string(sm_ns)));  // XEP-0198
    features.add_child(core::element("csi", std::string(csi_ns)));                         // XEP-0352
    features.add_child(im::caps_element(im_));  // XEP-0115: what the server can do
  }
  write_element(features);
}

boost::asio::awaitable<void> c2s_stream::on_negotiation_element(core::element e) {
  if (e.xmlns() == tls_ns && e.name() == "starttls" && !authenticated()) {
    co_await on_starttls();
    co_return;
  }
  if (e.xmlns() == sasl_ns && !authenticated()) {
    if (e.name() == "auth") {
      co_await on_auth(e);
      co_return;
    }
    if (e.name() == "response") {
      co_await on_sasl_response(e);
      co_return;
    }
    if (e.name() == "abort") {
      sasl_failed(auth::sasl_failure::aborted);
      co_return;
    }
  }
  if (!authenticated() && e.name() == "iq" && e.xmlns() == "jabber:client" &&
      e.child("query", im::register_ns) && im_.config().registration &&
      (io().tls_active() || !options_.require_tls)) {
    auto reply = co_await im_.preauth_register(std::move(e), remote_address(), domain_);
    write_element(reply);
    co_return;
  }
  if (authenticated() && e.xmlns() == sm_ns) {  // before binding: only resumption
    if (e.name() == "resume") {
      on_resume(e);
      co_return;
    }
    if (e.name() == "enable") {
      sm_failed(core::condition::unexpected_request);  // XEP-0198 3: after binding
      co_return;
    }
  }
  if (authenticated() && e.name() == "iq" && e.xmlns() == "jabber:client") {
    if (e.child("bind", bind_ns)) {
      on_bind(e);
      co_return;
    }
    if (e.child("session", session_ns)) {  // RFC 3921 session: a no-op kept for old clients
      core::element result("iq", "jabber:client");
      result.set_attr("type", "result").set_attr("id", std::string(e.attr("id")));
      {
        write_element(result);
        co_return;
      }
    }
  }
  stream_error("not-authorized", authenticated() ? "Bind a resource first" : "Authenticate first");
}

boost::asio::awaitable<void> c2s_stream::on_starttls() {
  if (io().tls_active() || !io().starttls_possible()) {
    write_element(core::element("failure", std::string(tls_ns)));
    end_stream();
    co_return;
  }
  write_element(core::element("proceed", std::string(tls_ns)));
  stream_open_ = false;
  const bool secured = co_await driver_->start_tls();
  if (!secured) closing_ = true;  // else the client now opens a new stream
}

boost::asio::awaitable<void> c2s_stream::on_auth(const core::element& e) {
  if (!may_authenticate(io(), options_)) {  // RFC 6120 5.3.1: not before TLS when TLS is required
    sasl_failed(auth::sasl_failure::encryption_required);
    co_return;
  }
  // RFC 6120 6.4.2: no text is no initial response, "=" an empty one.
  std::string text = e.text();
  std::optional<std::string> initial;
  if (text == "=") {
    initial.emplace();
  } else if (!text.empty()) {
    initial = auth::base64_decode(text);
    if (!initial) {
      sasl_failed(auth::sasl_failure::incorrect_encoding);
      co_return;
    }
  }
  auto options = sasl_options();
  if (options.anonymous && e.attr("mechanism") == "ANONYMOUS" && options_.anonymous_logins &&
      !options_.anonymous_logins->allow(remote_address())) {
    spdlog::info("{} {}: visitor login refused: rate limit", connection_id(), remote_address());
    sasl_failed(auth::sasl_failure::temporary_auth_failure,
                "Too many visitor logins from this address; try again later");
    co_return;
  }
  if (!sasl_) sasl_ = std::make_unique<login::sasl_exchange>(im_.store(), im_.kdf(), domain_);
  sasl_->use_tokens(options_.tokens);
  auto step = co_await sasl_->start(std::string(e.attr("mechanism")), std::move(options), std::move(initial));
  on_sasl_step(std::move(step));
}

boost::asio::awaitable<void> c2s_stream::on_sasl_response(const core::element& e) {
  if (!sasl_ || !sasl_->in_progress()) {
    stream_error("not-authorized", "No SASL exchange in progress");
    co_return;
  }
  std::string text = e.text();
  auto payload = text == "=" ? std::optional<std::string>(std::string()) : auth::base64_decode(text);
  if (!payload) {
    sasl_failed(auth::sasl_failure::incorrect_encoding);
    co_return;
  }
  auto step = co_await sasl_->respond(std::move(*payload));
  on_sasl_step(std::move(step));
}

void c2s_stream::on_sasl_step(auth::sasl_step step) {
  if (step.k == auth::sasl_step::challenge) return write_element(sasl_element("challenge", step.data, true));
  if (step.k != auth::sasl_step::success) return sasl_failed(step.why, step.text);
  const core::jid& account = *sasl_->account();
  username_ = account.node();
  write_element(sasl_element("success", step.data, false));
  spdlog::info("{} {}: authenticated as {} with {}", connection_id(), remote_address(), account.str(),
               sasl_->mechanism_name());
  sasl_.reset();
  stream_open_ = false;
  driver_->restart_stream();
}

void c2s_stream::sasl_failed(auth::sasl_failure why, std::string_view text) {
  if (sasl_) sasl_->abort();
  core::element failure("failure", std::string(sasl_ns));
  failure.add_child(core::element(std::string(auth::to_string(why)), std::string(sasl_ns)));
  if (!text.empty())
    failure.add_child(core::element("text", std::string(sasl_ns))).add_text(std::string(text));
  write_element(failure);
  if (why == auth::sasl_failure::aborted) return;
  if (++auth_failures_ >= options_.max_auth_failures)
    stream_error("policy-violation", "Too many failed authentication attempts");
}

void c2s_stream::on_bind(const core::element& iq) {
  auto reply_bind_error = [&](core::condition c) {
    core::element err("iq", "jabber:client");
    err.set_attr("type", "error").set_attr("id", std::string(iq.attr("id")));
    err.add_child(core::make_error_element(core::stanza_error(c)));
    write_element(err);
  };
  if (iq.attr("type") != "set") return reply_bind_error(core::condition::bad_request);
  std::string wanted = iq.child("bind", bind_ns)->child_text("resource", bind_ns);
  if (wanted.empty()) wanted = "ofs-" + random_token(9);
  auto full = core::jid::from_parts(username_, domain_, wanted);
  if (!full) return reply_bind_error(core::condition::bad_request);
  jid_ = std::move(*full);
  bound_ = true;
  session_ = std::make_shared<c2s_session>(jid_, remote_address(), im_, options_.sm);
  session_->attach(shared_from_this());
  im_.bind(session_);
  core::element result("iq", "jabber:client");
  result.set_attr("type", "result").set_attr("id", std::string(iq.attr("id")));
  result.add_child(core::element("bind", std::string(bind_ns)))
      .add_child(core::element("jid", std::string(bind_ns)))
      .add_text(jid_.str());
  write_element(result);
  spdlog::debug("{} {}: bound {}", connection_id(), remote_address(), jid_.str());
}

}  // namespace ofs::xmpp
