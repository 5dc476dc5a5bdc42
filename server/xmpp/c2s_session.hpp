#pragma once
// The bound resource of an XMPP client: the endpoint the router and the IM layer know, for as
// long as the session lives, across the connections that carry it (XEP-0198 resumption). It
// holds what is sent to the client until it is written (with stream management: until the
// client acknowledges it), counts the client's stanzas until the IM layer has handled them,
// and holds back presence while the client is inactive (XEP-0352). A mutex guards it:
// deliver() comes from any thread and the strand that writes (its stream's) changes on
// resumption. It never calls out (router, IM layer, stream) while holding the mutex.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "server/core/endpoint.hpp"
#include "server/xmpp/sm_queue.hpp"

namespace ofs::im {
class service;
}

namespace ofs::xmpp {

class c2s_stream;
class resumption_table;

struct sm_options {
  bool enabled = true;                        // XEP-0198 offered
  std::chrono::seconds resume_timeout{300};   // a dropped session waits this long; 0: no resumption
  std::size_t max_unacked = 1000;             // past it the session ends (resource-constraint)
  std::size_t ack_request_every = 5;          // unacknowledged stanzas written before an <r/>
  std::chrono::seconds ack_request_delay{5};  // or this long after the first of them
  resumption_table* resumptions = nullptr;    // none: no resumption
};

class c2s_session final : public core::endpoint, public std::enable_shared_from_this<c2s_session> {
public:
  c2s_session(core::jid address, std::string remote, im::service& im, const sm_options& opts);
  ~c2s_session() override;

  // core::endpoint, from any thread.
  const core::jid& address() const override { return address_; }
  std::string remote_address() const override;
  std::string connection_id() const;            // of the stream that carries it, or carried it last
  std::string_view transport() const override;  // the attached stream's, or "detached"
  void deliver(core::stanza s) override;
  void deliver(core::stanza s, std::function<void(bool)> received) override;
  void terminate(std::string_view condition, std::string_view text) override;

  // From the stream that carries the session, on its strand; `by` tells a stream that no
  // longer carries it (it was resumed elsewhere), which then gets nothing.
  void attach(const std::shared_ptr<c2s_stream>& by);
  // <enable/>: stanzas count from now on; the SM-ID if resumable (registered), else "".
  std::string enable_sm(bool resumable);
  bool sm_enabled() const;
  std::string sm_id() const;
  // A stanza of the stream's own (an iq error, a ping): queued like delivered ones; the
  // stream writes it with its next take_output().
  void send_own(core::stanza s);
  struct output {
    std::vector<inbound_counter::answer> answers;  // <a/> or <resumed/> to write first
    std::vector<outbound_entry> writes;
    bool sm = false;
    std::size_t unacked = 0;  // written and not yet acknowledged
  };
  output take_output(const c2s_stream* by);
  // The client's stanzas: a sequence number (nullopt: `by` does not carry the session), and
  // the token that marks it handled when the IM layer drops its last copy (stanza.hpp).
  std::optional<std::uint64_t> receive(const c2s_stream* by);
  std::shared_ptr<void> handling_token(std::uint64_t seq);
  void handled(std::uint64_t seq);  // any thread
  void ack_requested();             // <r/>: an <a/> is owed once what came before is handled
  // <a h/>: false when h counts more than was sent (the send count is then in *sent).
  bool acked(std::uint32_t h, std::uint64_t* sent);
  void set_inactive(bool inactive);  // XEP-0352

  // The stream's connection is gone: with resumption, the session waits for a new one.
  void stream_closed(const c2s_stream* by, bool may_resume);
  // The session ends: unacknowledged stanzas go elsewhere (another resource, offline
  // storage), receipts fail, the IM layer hears it is gone. Any thread; once.
  void end();

  enum class resume_status { resumed, not_found, h_too_high };
  struct resume_result {
    resume_status status;
    std::uint32_t handled = 0;  // for <failed h/>
  };
  // <resume previd h/> on `by`'s new connection: takes the session over; <resumed/> is owed
  // once every stanza the client sent before is handled. The old stream, if any, is closed.
  resume_result resume(const std::shared_ptr<c2s_stream>& by, std::uint32_t h, std::string remote);

private:
  enum class state { attached, detached, ended };
  void wake_locked();  // has the attached stream call take_output() soon
  bool holdable_locked(const core::stanza& s) const;
  void hold_locked(core::stanza s);
  void release_held_locked();
  void on_expired(std::uint64_t generation);

  const core::jid address_;
  im::service& im_;
  const sm_options options_;
  mutable std::mutex mutex_;
  std::string remote_;
  std::string connection_;  // the carrying stream's id, for log lines and ofsctl sessions
  state state_ = state::attached;
  std::weak_ptr<c2s_stream> stream_;
  const c2s_stream* stream_raw_ = nullptr;  // identity of the attached stream
  bool wake_pending_ = false;
  bool sm_ = false;
  bool resume_pending_ = false;  // <resumed/> not yet written: nothing else goes out
  bool no_resume_ = false;       // terminated: a lost connection ends it
  bool overflowed_ = false;
  std::string sm_id_;  // registered in the resumption table when set
  outbound_queue out_;
  inbound_counter in_;
  bool inactive_ = false;
  std::vector<core::stanza> held_;                             // presence held while inactive
  std::unordered_map<std::string, std::size_t> held_by_from_;  // its index, by sender
  std::unique_ptr<boost::asio::steady_timer> expiry_;          // while detached
  std::uint64_t generation_ = 0;                               // of the attachment the timer is for
};

}  // namespace ofs::xmpp
