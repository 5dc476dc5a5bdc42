#include "server/xmpp/c2s_session.hpp"

#include <spdlog/spdlog.h>

#include <utility>

#include "server/im/service.hpp"
#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/resumption_table.hpp"

namespace ofs::xmpp {

c2s_session::c2s_session(core::jid address, std::string remote, im::service& im, const sm_options& opts)
    : address_(std::move(address)), im_(im), options_(opts), remote_(std::move(remote)) {}

c2s_session::~c2s_session() = default;

std::string c2s_session::remote_address() const {
  std::lock_guard lock(mutex_);
  return remote_;
}

std::string c2s_session::connection_id() const {
  std::lock_guard lock(mutex_);
  return connection_;
}

std::string_view c2s_session::transport() const {
  std::shared_ptr<c2s_stream> stream;
  {
    std::lock_guard lock(mutex_);
    if (state_ == state::attached) stream = stream_.lock();
  }
  return stream ? stream->transport_kind() : "detached";  // waiting for a resumption, or ending
}

void c2s_session::wake_locked() {
  if (wake_pending_ || state_ != state::attached) return;
  if (auto s = stream_.lock()) {
    wake_pending_ = true;
    s->wake();  // posts: nothing runs under the lock
  }
}

// XEP-0352: availability and unavailability wait while the client is inactive, the latest per
// sender; subscription requests, errors, and what must be confirmed go through. The same while
// the session waits for resumption, so that presence does not fill its queue (max_unacked).
bool c2s_session::holdable_locked(const core::stanza& s) const {
  return (inactive_ || state_ == state::detached) && s.kind() == core::stanza_kind::presence &&
         (s.type().empty() || s.type() == "unavailable");
}

void c2s_session::hold_locked(core::stanza s) {
  const std::string from = s.from().str();
  if (auto it = held_by_from_.find(from); it != held_by_from_.end()) {
    held_[it->second] = std::move(s);
  } else {
    held_by_from_.emplace(from, held_.size());
    held_.push_back(std::move(s));
  }
}

void c2s_session::release_held_locked() {
  for (auto& s : held_) out_.push({std::move(s), {}});
  held_.clear();
  held_by_from_.clear();
}

void c2s_session::deliver(core::stanza s) { deliver(std::move(s), {}); }

void c2s_session::deliver(core::stanza s, std::function<void(bool)> received) {
  // The sender's handling ends here for a session with stream management (its queue keeps
  // the stanza until acknowledged, maybe minutes), else once written. Dropped after unlocking.
  std::shared_ptr<void> handling;
  bool overflow = false, ended = false, detached = false;
  {
    std::lock_guard lock(mutex_);
    ended = state_ == state::ended;
    if (!ended) {
      const bool hold = !received && holdable_locked(s);
      if (sm_ || hold) handling = s.take_handling();
      if (hold) return hold_locked(std::move(s));
      out_.push({std::move(s), std::move(received)});
      if (sm_ && out_.size() > options_.max_unacked && !overflowed_) overflow = overflowed_ = true;
      detached = state_ == state::detached;
      wake_locked();
    }
  }
  if (ended) {
    if (received) return received(false);
    return im_.router().undeliverable(std::move(s), *this);
  }
  if (!overflow) return;
  spdlog::info("{} {}: more than {} unacknowledged stanzas; the session ends", connection_id(),
               address_.str(), options_.max_unacked);
  if (detached) return end();
  terminate("resource-constraint", "Too many unacknowledged stanzas");
}

void c2s_session::terminate(std::string_view condition, std::string_view text) {
  std::shared_ptr<c2s_stream> stream;
  {
    std::lock_guard lock(mutex_);
    if (state_ == state::ended) return;
    no_resume_ = true;
    if (state_ == state::attached) stream = stream_.lock();
  }
  if (stream)
    stream->post_stream_error(std::string(condition), std::string(text));
  else
    end();
}

void c2s_session::attach(const std::shared_ptr<c2s_stream>& by) {
  auto id = by->connection_id();
  std::lock_guard lock(mutex_);
  connection_ = std::move(id);
  stream_ = by;
  stream_raw_ = by.get();
}

std::string c2s_session::enable_sm(bool resumable) {
  std::vector<std::shared_ptr<void>> handling;  // dropped after unlocking
  std::string id;
  if (resumable && options_.resumptions) id = options_.resumptions->add(shared_from_this());
  std::lock_guard lock(mutex_);
  sm_ = true;
  sm_id_ = id;
  // What waits to be written is counted from now on, like what comes later.
  auto pending = out_.take_unwritten(false);
  for (auto& e : pending) {
    handling.push_back(e.s.take_handling());
    out_.push(std::move(e));
  }
  return id;
}

bool c2s_session::sm_enabled() const {
  std::lock_guard lock(mutex_);
  return sm_;
}

std::string c2s_session::sm_id() const {
  std::lock_guard lock(mutex_);
  return sm_id_;
}

void c2s_session::send_own(core::stanza s) {
  std::lock_guard lock(mutex_);
  if (state_ != state::ended) out_.push({std::move(s), {}});
}

c2s_session::output c2s_session::take_output(const c2s_stream* by) {
  output out;
  std::lock_guard lock(mutex_);
  if (state_ != state::attached || by != stream_raw_) return out;
  wake_pending_ = false;
  out.sm = sm_;
  out.answers = in_.take_due();
  for (const auto& a : out.answers)
    if (a.kind == inbound_counter::answer_kind::resumed) resume_pending_ = false;
  if (!resume_pending_) out.writes = out_.take_unwritten(sm_);
  out.unacked = out_.unacked_written();
  return out;
}

std::optional<std::uint64_t> c2s_session::receive(const c2s_stream* by) {
  std::lock_guard lock(mutex_);
  if (state_ != state::attached || by != stream_raw_) return std::nullopt;
  return in_.receive();
}

std::shared_ptr<void> c2s_session::handling_token(std::uint64_t seq) {
  // Null pointer, real deleter: it runs when the last copy goes, on whatever thread that is.
  return std::shared_ptr<void>(nullptr, [w = weak_from_this(), seq](void*) {
    if (auto self = w.lock()) self->handled(seq);
  });
}

void c2s_session::handled(std::uint64_t seq) {
  std::lock_guard lock(mutex_);
  in_.handled(seq);
  if (in_.has_due()) wake_locked();
}

void c2s_session::ack_requested() {
  std::lock_guard lock(mutex_);
  in_.owe(inbound_counter::answer_kind::ack);
}

bool c2s_session::acked(std::uint32_t h, std::uint64_t* sent) {
  std::optional<std::vector<outbound_entry>> done;
  {
    std::lock_guard lock(mutex_);
    done = out_.ack(h);
    if (!done) *sent = out_.sent();
  }
  if (!done) return false;
  for (auto& e : *done)
    if (e.received) e.received(true);
  return true;
}

void c2s_session::set_inactive(bool inactive) {
  std::lock_guard lock(mutex_);
  inactive_ = inactive;
  if (inactive) return;
  release_held_locked();
  wake_locked();
}

void c2s_session::stream_closed(const c2s_stream* by, bool may_resume) {
  {
    std::lock_guard lock(mutex_);
    if (state_ != state::attached || by != stream_raw_) return;  // resumed elsewhere, or ended
    const bool resumable = may_resume && !sm_id_.empty() && !no_resume_ && options_.resumptions &&
                           options_.resumptions->accepting();
    if (resumable) {
      state_ = state::detached;
      stream_.reset();
      stream_raw_ = nullptr;
      wake_pending_ = false;
      if (!expiry_) expiry_ = std::make_unique<boost::asio::steady_timer>(im_.executor());
      expiry_->expires_after(options_.resume_timeout);
      expiry_->async_wait([w = weak_from_this(), g = generation_](boost::system::error_code ec) {
        if (auto self = w.lock(); self && !ec) self->on_expired(g);
      });
      spdlog::debug("{} {}: connection lost; resumable for {} s", connection_, address_.str(),
                    options_.resume_timeout.count());
      return;
    }
  }
  end();
}

void c2s_session::on_expired(std::uint64_t generation) {
  {
    std::lock_guard lock(mutex_);
    if (state_ != state::detached || generation != generation_) return;
  }
  spdlog::info("{} {}: not resumed in time; the session ends", connection_id(), address_.str());
  end();
}

void c2s_session::end() {
  std::vector<outbound_entry> left;
  std::vector<core::stanza> held;
  std::string id;
  {
    std::lock_guard lock(mutex_);
    if (state_ == state::ended) return;
    state_ = state::ended;
    left = out_.take_all();
    held = std::move(held_);
    held_by_from_.clear();
    stream_.reset();
    stream_raw_ = nullptr;
    if (expiry_) expiry_->cancel();
    id = sm_id_;
  }
  if (!id.empty()) options_.resumptions->remove(id, this);
  // Not known to be received: stored messages stay stored (their owner keeps them), the rest
  // goes the way of a resource that is gone (RFC 6121 8.5.3.2.1).
  for (auto& e : left) {
    if (e.received)
      e.received(false);
    else
      im_.router().undeliverable(std::move(e.s), *this);
  }
  im_.unbind(*this);
}

c2s_session::resume_result c2s_session::resume(const std::shared_ptr<c2s_stream>& by, std::uint32_t h,
                                               std::string remote) {
  auto connection = by->connection_id();
  std::optional<std::vector<outbound_entry>> done;
  std::shared_ptr<c2s_stream> old;
  std::string previous;  // the connection it was resumed from, for the log
  resume_result result{resume_status::resumed};
  {
    std::lock_guard lock(mutex_);
    if (state_ == state::ended) return {resume_status::not_found};
    result.handled = in_.handled_wire();
    done = out_.ack(h);
    if (done) {
      if (state_ == state::attached) old = stream_.lock();
      state_ = state::attached;
      stream_ = by;
      stream_raw_ = by.get();
      remote_ = std::move(remote);
      previous = std::exchange(connection_, std::move(connection));
      ++generation_;
      if (expiry_) expiry_->cancel();
      inactive_ = false;  // a new stream starts active (XEP-0352)
      release_held_locked();
      out_.rewind();  // what the client did not acknowledge goes out again, after <resumed/>
      in_.forget_owed();
      in_.owe(inbound_counter::answer_kind::resumed);
      resume_pending_ = true;
      wake_pending_ = false;
      wake_locked();
    }
  }
  if (!done) {
    spdlog::info("{} {}: resumption with h={} beyond what was sent; the session ends", connection_id(),
                 address_.str(), h);
    end();
    return {resume_status::h_too_high, result.handled};
  }
  for (auto& e : *done)
    if (e.received) e.received(true);
  if (old) old->post_close();
  spdlog::info("{} {}: session of {} resumed from {}", connection_id(), address_.str(), previous,
               remote_address());
  return result;
}

}  // namespace ofs::xmpp
