// The request half of a BOSH session (XEP-0124 sections 7 to 14): the rid window, held
// requests and their 'wait', pause, acks, overactivity and the inactivity timeout.
#include <spdlog/spdlog.h>

#include "bosh/bosh_session.hpp"

namespace ofs::bosh {

void bosh_session::refuse(reply_handle& reply, std::string_view condition) {
  reply.answer(terminate(condition));
}

void bosh_session::on_request(request_body b, bool tls, reply_handle reply) {
  if (ended_) return refuse(reply, "item-not-found");
  if (settings_.tls && !tls) {  // the sid went over plain HTTP: the session is no longer private
    spdlog::info("{} {}: a request of an HTTPS session came over plain HTTP", connection_id(),
                 settings_.remote);
    refuse(reply, "policy-violation");
    return end("policy-violation");
  }
  last_request_ = clock::now();
  idle_limit_ = settings_.inactivity;  // a pause ends with the next request
  driver_->on_activity();
  if (auto ack = b.number("ack")) window_.acknowledged(*ack);
  // Section 14.3: a copy of a request not answered yet takes the first copy's place (that
  // one, likely on a connection the client gave up, gets an empty answer).
  auto replace = [&](reply_handle& waiting) {
    std::swap(waiting, reply);
    reply.answer(response("", {}));
  };
  for (auto& h : held_)
    if (h.rid == b.rid) return replace(h.reply);
  if (auto e = early_.find(b.rid); e != early_.end()) return replace(e->second.reply);
  switch (window_.classify(b.rid)) {
    case rid_window::verdict::repeat: {  // answered already: the same answer again
      if (const auto* cached = window_.cached(b.rid)) return reply.answer(*cached);
      refuse(reply, "item-not-found");
      return end("item-not-found");
    }
    case rid_window::verdict::out_of_window:
      spdlog::info("{} {}: rid {} is outside the window (next {})", connection_id(), settings_.remote, b.rid,
                   window_.next());
      refuse(reply, "item-not-found");
      return end("item-not-found");
    case rid_window::verdict::early:
    case rid_window::verdict::next: break;
  }
  // Section 11: more requests at once than 'requests' (held, early, and this one).
  if (held_.size() + early_.size() + 1 > settings_.requests) {
    spdlog::info("{} {}: more than {} simultaneous requests", connection_id(), settings_.remote,
                 settings_.requests);
    refuse(reply, "policy-violation");
    return end("policy-violation");
  }
  if (window_.classify(b.rid) == rid_window::verdict::early) {
    const auto rid = b.rid;
    early_.emplace(rid, early_request{std::move(b), std::move(reply), clock::now()});
    return arm_timer();
  }
  process(std::move(b), std::move(reply));
  while (!ended_) {
    auto next = early_.find(window_.next());
    if (next == early_.end()) break;
    auto e = std::move(next->second);
    early_.erase(next);
    process(std::move(e.body), std::move(e.reply));
  }
  if (!ended_) schedule_flush();
}

void bosh_session::process(request_body b, reply_handle reply) {
  window_.processed();
  const auto now = clock::now();
  if (auto pause = b.number("pause")) {  // section 10: answer everything, come back later
    if (std::chrono::seconds(*pause) > settings_.max_pause) {
      refuse(reply, "policy-violation");
      return end("policy-violation");
    }
    held_.push_back({b.rid, std::move(reply), now});
    while (!held_.empty()) answer_oldest();
    idle_limit_ = std::chrono::seconds(*pause);
    return arm_timer();
  }
  const bool empty = b.payload.empty() && !b.terminate() && !b.restart();
  if (settings_.hold == 0 && empty) {  // section 12: a polling client polls at most every 'polling'
    if (last_empty_ && now - *last_empty_ < settings_.polling) {
      spdlog::info("{} {}: polling faster than every {} s", connection_id(), settings_.remote,
                   settings_.polling.count());
      refuse(reply, "policy-violation");
      return end("policy-violation");
    }
    last_empty_ = now;
  }
  held_.push_back({b.rid, std::move(reply), now + settings_.wait});
  if (b.restart()) inputs_.push_back(open_document());  // XEP-0206 section 5: a new stream after SASL
  for (auto& doc : b.payload) inputs_.push_back(std::move(doc));
  if (b.terminate()) {
    client_terminated_ = true;
    inputs_.push_back("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>");
  }
  pump();
}

std::string bosh_session::response_attributes(std::uint64_t rid) {
  std::string a;
  if (!creation_answered_) {  // section 7.1 and XEP-0206 section 3
    creation_answered_ = true;
    append_attr(a, "sid", sid_);
    append_attr(a, "wait", std::to_string(settings_.wait.count()));
    append_attr(a, "requests", std::to_string(settings_.requests));
    append_attr(a, "hold", std::to_string(settings_.hold));
    append_attr(a, "inactivity", std::to_string(settings_.inactivity.count()));
    append_attr(a, "maxpause", std::to_string(settings_.max_pause.count()));
    append_attr(a, "polling", std::to_string(settings_.polling.count()));
    append_attr(a, "ver", "1.11");
    append_attr(a, "from", settings_.domain);
    append_attr(a, "secure", "true");
    a += " xmlns:xmpp='urn:xmpp:xbosh' xmpp:version='1.0' xmpp:restartlogic='true'";
    if (settings_.acks) append_attr(a, "ack", std::to_string(rid));
    return a;
  }
  // Section 9.1: answering an older request, say which later ones arrived.
  if (settings_.acks && window_.last_processed() > rid)
    append_attr(a, "ack", std::to_string(window_.last_processed()));
  return a;
}

void bosh_session::answer_oldest(std::string_view type_attrs, bool with_output) {
  auto h = std::move(held_.front());
  held_.pop_front();
  std::string attrs = response_attributes(h.rid);
  attrs.append(type_attrs);
  std::string body = response(attrs, with_output ? outbox_ : std::vector<std::string>{});
  if (with_output) {
    handed_total_ += outbox_.size();
    outbox_.clear();
    outbox_bytes_ = 0;
  }
  window_.answered(h.rid, body);
  h.reply.answer(std::move(body));
  notify_handed(true);
}

// One timer: the oldest held request's 'wait', an early request's missing predecessor, or
// the inactivity (or pause) limit when nothing is held.
void bosh_session::arm_timer() {
  if (ended_) return;
  auto deadline = clock::time_point::max();
  if (!held_.empty()) deadline = held_.front().deadline;
  for (const auto& [rid, e] : early_) deadline = std::min(deadline, e.arrived + settings_.wait);
  if (held_.empty() && early_.empty()) deadline = last_request_ + idle_limit_;
  timer_.expires_at(deadline);
  timer_.async_wait(driver_->handler([this](boost::system::error_code ec) {
    if (!ec) on_timer();
  }));
}

void bosh_session::on_timer() {
  if (ended_) return;
  const auto now = clock::now();
  while (!held_.empty() && held_.front().deadline <= now) answer_oldest();
  for (const auto& [rid, e] : early_)
    if (e.arrived + settings_.wait <= now) {
      spdlog::info("{} {}: rid {} never came", connection_id(), settings_.remote, window_.next());
      return end("item-not-found");
    }
  if (held_.empty() && early_.empty() && now >= last_request_ + idle_limit_) {
    spdlog::info("{} {}: no request for {} s; ending the session", connection_id(), settings_.remote,
                 std::chrono::duration_cast<std::chrono::seconds>(idle_limit_).count());
    return end("");
  }
  arm_timer();
}

}  // namespace ofs::bosh
