// The stream management (XEP-0198) and client state indication (XEP-0352) half of c2s_stream:
// the elements on the stream; what they count and hold lives in c2s_session.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>

#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/resumption_table.hpp"
#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {
namespace {

std::optional<std::uint32_t> parse_u32(std::string_view text) {
  std::uint32_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return v;
}

bool is_true(std::string_view v) { return v == "true" || v == "1"; }

}  // namespace

bool c2s_stream::on_sm_element(const core::element& e) {
  if (e.xmlns() == csi_ns && (e.name() == "active" || e.name() == "inactive")) {
    session_->set_inactive(e.name() == "inactive");
    return true;
  }
  if (e.xmlns() != sm_ns) return false;
  if (e.name() == "enable") {
    on_enable(e);
  } else if (e.name() == "resume") {
    sm_failed(core::condition::unexpected_request);  // the session is bound already
  } else if (!sm_ && (e.name() == "r" || e.name() == "a")) {
    stream_error("unsupported-stanza-type", "Stream management is not enabled");
  } else if (e.name() == "r") {
    session_->ack_requested();
    on_wake();  // due at once when everything before it is handled
  } else if (e.name() == "a") {
    on_ack(e);
  } else {
    stream_error("unsupported-stanza-type", "<" + e.name() + "/> is not a stream management element");
  }
  return true;
}

void c2s_stream::on_enable(const core::element& e) {
  if (!options_.sm.enabled) return sm_failed(core::condition::feature_not_implemented);
  if (sm_) return sm_failed(core::condition::unexpected_request);
  const bool resumable =
      is_true(e.attr("resume")) && options_.sm.resumptions && options_.sm.resume_timeout.count() > 0;
  sm_ = true;
  ack_timer_ = std::make_unique<boost::asio::steady_timer>(io().executor());
  const std::string id = session_->enable_sm(resumable);
  core::element enabled("enabled", std::string(sm_ns));
  if (!id.empty()) {
    enabled.set_attr("id", id).set_attr("resume", "true");
    enabled.set_attr("max", std::to_string(options_.sm.resume_timeout.count()));
  }
  write_element(enabled);  // before any stanza it counts
  spdlog::debug("{} {}: stream management enabled{}", connection_id(), jid_.str(),
                id.empty() ? "" : ", resumable");
  on_wake();
}

void c2s_stream::on_resume(const core::element& e) {
  if (!options_.sm.enabled || !options_.sm.resumptions)
    return sm_failed(core::condition::feature_not_implemented);
  auto h = parse_u32(e.attr("h"));
  if (!h) return sm_failed(core::condition::bad_request);
  auto account = core::jid::from_parts(username_, domain_);
  auto session = account ? options_.sm.resumptions->find(e.attr("previd"), *account) : nullptr;
  // XEP-0198 5: unknown, expired and other accounts' sessions look the same.
  if (!session) return sm_failed(core::condition::item_not_found);
  auto result = session->resume(shared_from_this(), *h, remote_address());
  if (result.status == c2s_session::resume_status::not_found)
    return sm_failed(core::condition::item_not_found);
  if (result.status == c2s_session::resume_status::h_too_high)
    return sm_failed(core::condition::unexpected_request, result.handled);
  session_ = std::move(session);
  jid_ = session_->address();
  bound_ = sm_ = true;
  ack_timer_ = std::make_unique<boost::asio::steady_timer>(io().executor());
  on_wake();  // <resumed/> once what the client sent before is handled, then the resends
}

void c2s_stream::on_ack(const core::element& e) {
  auto h = parse_u32(e.attr("h"));
  if (!h) return stream_error("undefined-condition", "<a/> needs a numeric 'h'");
  ack_requested_ = false;
  std::uint64_t sent = 0;
  if (session_->acked(*h, &sent)) return;
  // XEP-0198 4: acknowledging more than was sent is a stream error.
  core::element err("error", "http://etherx.jabber.org/streams");
  err.add_child(core::element("undefined-condition", "urn:ietf:params:xml:ns:xmpp-streams"));
  err.add_child(core::element("handled-count-too-high", std::string(sm_ns)))
      .set_attr("h", std::to_string(*h))
      .set_attr("send-count", std::to_string(static_cast<std::uint32_t>(sent)));
  write_element(err);
  resumable_end_ = false;
  end_stream();
}

void c2s_stream::sm_failed(core::condition c, std::optional<std::uint32_t> h) {
  core::element failed("failed", std::string(sm_ns));
  if (h) failed.set_attr("h", std::to_string(*h));
  failed.add_child(core::element(std::string(core::to_string(c)), std::string(core::ns::stanzas)));
  write_element(failed);
}

void c2s_stream::after_writes(std::size_t unacked) {
  if (unacked == 0 || ack_requested_ || closing_) return;
  if (unacked >= options_.sm.ack_request_every) return request_ack();
  if (ack_timer_armed_) return;
  ack_timer_armed_ = true;
  ack_timer_->expires_after(options_.sm.ack_request_delay);
  ack_timer_->async_wait(driver_->handler([self = shared_from_this()](boost::system::error_code ec) {
    self->ack_timer_armed_ = false;
    if (!ec && !self->closing_ && self->session_ && !self->ack_requested_) self->request_ack();
  }));
}

void c2s_stream::request_ack() {
  ack_requested_ = true;
  if (ack_timer_armed_) ack_timer_->cancel();
  write_element(core::element("r", std::string(sm_ns)));
}

}  // namespace ofs::xmpp
