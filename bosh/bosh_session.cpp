// The transport half of a BOSH session: documents into the driver, its output into the next
// response, and the session's end (what could not be sent goes back to the driver).
#include "bosh/bosh_session.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>

namespace ofs::bosh {
namespace asio = boost::asio;

bosh_session::bosh_session(asio::any_io_executor strand, session_settings s, reply_handle creation,
                           ended_fn on_ended)
    : strand_(strand),
      settings_(std::move(s)),
      on_ended_(std::move(on_ended)),
      window_(settings_.first_rid, settings_.requests),
      timer_(strand),
      idle_limit_(settings_.inactivity) {
  held_.push_back({settings_.first_rid, std::move(creation), clock::now() + settings_.wait});
  inputs_.push_back(open_document());  // XEP-0206 section 3: the stream starts with the session
}

// What the driver gets for a stream header: the framing <open/> of RFC 7395, as on WebSocket.
std::string bosh_session::open_document() const {
  std::string open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' version='1.0' to='";
  xml::append_escaped_attr(settings_.domain, open);
  return open + "'/>";
}

bosh_session::~bosh_session() = default;

void bosh_session::keep(std::shared_ptr<xmpp::stream_driver> driver) {
  asio::post(strand_, [self = shared_from_this(), driver = std::move(driver)]() mutable {
    if (!self->ended_) self->keep_driver_ = std::move(driver);
  });
}

void bosh_session::submit(request_body body, bool tls, reply_handle reply) {
  asio::post(strand_,
             [self = shared_from_this(), body = std::move(body), tls, reply = std::move(reply)]() mutable {
               if (!self->driver_) return self->refuse(reply, "item-not-found");  // not started: cannot be
               self->driver_->guarded([&] { self->on_request(std::move(body), tls, std::move(reply)); });
             });
}

void bosh_session::shut_down(core::connection_tracker::close_mode mode) {
  asio::post(strand_, [self = shared_from_this(), mode] {
    if (!self->driver_ || self->ended_) return;
    if (mode == core::connection_tracker::close_mode::graceful)
      self->driver_->shut_down("system-shutdown");
    else
      self->driver_->guarded([&] { self->end("system-shutdown"); });
  });
}

void bosh_session::start() {
  arm_timer();
  driver_->on_ready();
}

void bosh_session::read() {
  read_wanted_ = true;
  pump();
}

// The driver asks for one input at a time and may ask again from inside on_input(): a loop
// here, not recursion, however many stanzas a body holds.
void bosh_session::pump() {
  if (pumping_) return;
  pumping_ = true;
  while (read_wanted_ && !inputs_.empty() && !ended_) {
    read_wanted_ = false;
    std::string doc = std::move(inputs_.front());
    inputs_.pop_front();
    driver_->on_input(doc);
  }
  pumping_ = false;
}

void bosh_session::write(std::string bytes) {
  if (bytes.empty()) return;
  if (ended_) {  // the driver learns of the end from a later handler: what it writes till then goes back
    if (driver_) driver_->unsent(bytes);
    return;
  }
  if (bytes.starts_with("<stream:error")) stream_error_ = true;
  outbox_bytes_ += bytes.size();
  outbox_.push_back(std::move(bytes));
  ++queued_total_;
  if (outbox_bytes_ > settings_.max_buffered_bytes) {
    // A client that stopped asking: ended once the current handler is done.
    spdlog::warn("{} {}: {} bytes wait for a request; ending the session", connection_id(), settings_.remote,
                 outbox_bytes_);
    asio::post(strand_, driver_->handler([this] { end("policy-violation"); }));
    return;
  }
  schedule_flush();
}

void bosh_session::write(std::string bytes, std::function<void(bool written)> done) {
  write(std::move(bytes));
  if (ended_) return done(false);
  on_handed_.add(queued_total_, std::move(done));
}

void bosh_session::close_stream() {
  closing_ = true;
  schedule_flush();
}

asio::awaitable<bool> bosh_session::start_tls() { co_return false; }

// Output of one handler goes out together: the flush runs after it.
void bosh_session::schedule_flush() {
  if (flush_scheduled_ || ended_) return;
  flush_scheduled_ = true;
  asio::post(strand_, driver_->handler([this] { flush(); }));
}

void bosh_session::flush() {
  flush_scheduled_ = false;
  if (ended_) return;
  if (closing_) {
    if (!held_.empty()) end_after_terminate();
    return;  // else the next request gets the terminate, or the driver's close grace ends it
  }
  if (!outbox_.empty() && !held_.empty()) answer_oldest();
  while (held_.size() > settings_.hold) answer_oldest();
  arm_timer();
}

// The stream ended (a stream error, or the answer to the client's terminate): held requests
// are answered, the last with type='terminate' and what is left, and the session ends.
void bosh_session::end_after_terminate() {
  while (held_.size() > 1) answer_oldest({}, false);
  std::string attrs = " type='terminate'";
  if (stream_error_)
    attrs += " condition='remote-stream-error'";
  else if (!client_terminated_)
    attrs += " condition='system-shutdown'";
  answer_oldest(attrs);
  end("");
}

// Ends at once: every request still waiting gets type='terminate' (with the condition), what
// is buffered and was never in a response goes back to the driver, which then closes.
void bosh_session::end(std::string_view condition) {
  if (ended_) return;
  if (!held_.empty() || !early_.empty()) {
    while (held_.size() > 1) answer_oldest({}, false);
    if (!held_.empty()) {
      std::string attrs = " type='terminate'";
      if (!condition.empty()) append_attr(attrs, "condition", condition);
      answer_oldest(attrs);
    }
    for (auto& [rid, e] : early_) refuse(e.reply, condition);
    early_.clear();
  }
  ended_ = true;
  timer_.cancel();
  if (driver_)
    for (const auto& out : outbox_) driver_->unsent(out);
  outbox_.clear();
  outbox_bytes_ = 0;
  notify_handed(false);
  spdlog::debug("{} {}: session ended", connection_id(), settings_.remote);
  if (on_ended_) on_ended_(sid_);
  if (!driver_) return;
  // Reported from a handler of its own: the driver may be the one closing us.
  asio::post(strand_, driver_->handler([this] {
    driver_->on_closed();
    keep_driver_.reset();
  }));
}

void bosh_session::notify_handed(bool handed) {
  for (auto& fn : on_handed_.take_due(handed_total_, handed)) fn(handed);
}

}  // namespace ofs::bosh
