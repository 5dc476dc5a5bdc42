#pragma once
// One BOSH session (XEP-0124, XEP-0206) as the transport of one stream_driver. Requests come
// in from any HTTP connection through submit() and are handled on the session's own strand in
// rid order; the driver's output waits in a bounded buffer for the next held request. The
// session table and the driver's handlers hold it; it holds its driver until it ends.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "bosh/body.hpp"
#include "bosh/reply_slot.hpp"
#include "bosh/rid_window.hpp"
#include "server/core/connection_tracker.hpp"
#include "server/xmpp/stream_driver.hpp"
#include "server/xmpp/transport.hpp"
#include "server/xmpp/write_callbacks.hpp"

namespace ofs::bosh {

// What the session creation request and the configuration settled.
struct session_settings {
  std::string domain;
  std::uint64_t first_rid = 0;
  std::chrono::seconds wait{60}, inactivity{60}, max_pause{120}, polling{2};
  unsigned hold = 1, requests = 2;
  std::size_t max_buffered_bytes = 1 << 20;
  bool acks = false;  // the client asked for 'ack' attributes (section 9)
  bool tls = false;   // created over HTTPS: plain HTTP requests are refused
  bool loopback = false;
  std::string remote;
};

class bosh_session final : public xmpp::transport, public std::enable_shared_from_this<bosh_session> {
public:
  using ended_fn = std::function<void(const std::string& sid)>;
  // creation: the session creation request, answered with the session's attributes.
  bosh_session(boost::asio::any_io_executor strand, session_settings s, reply_handle creation,
               ended_fn on_ended);
  ~bosh_session() override;

  // Before the session is shared: its sid, and the driver it keeps alive until it ends.
  void set_sid(std::string sid) { sid_ = std::move(sid); }
  void keep(std::shared_ptr<xmpp::stream_driver> driver);
  // A later request, from any thread. tls: it came over HTTPS.
  void submit(request_body body, bool tls, reply_handle reply);
  // Server shutdown: graceful sends a <system-shutdown/> stream error, now ends at once.
  void shut_down(core::connection_tracker::close_mode mode);

  // xmpp::transport
  xmpp::input_framing framing() const override { return xmpp::input_framing::documents; }
  boost::asio::any_io_executor executor() const override { return strand_; }
  void attach(xmpp::stream_driver& driver) override { driver_ = &driver; }
  void start() override;
  void read() override;
  void write(std::string bytes) override;
  void write(std::string bytes, std::function<void(bool written)> done) override;
  void open_stream(std::string_view) override {}  // the <body/> carries the session
  void close_stream() override;
  void close() override { end("undefined-condition"); }
  xml::write_context output_context() const override { return {"", false}; }  // body declares stream:
  bool tls_active() const override { return settings_.tls; }
  bool starttls_possible() const override { return false; }  // TLS is the URL's: https://
  boost::asio::awaitable<bool> start_tls() override;
  // No SCRAM-*-PLUS: the requests of one session may come over different TLS connections,
  // so there is no one channel to bind to.
  auth::channel_binding channel_binding() const override { return {}; }
  std::string remote_address() const override { return settings_.remote; }
  bool remote_is_loopback() const override { return settings_.loopback; }
  std::string_view kind() const override { return "bosh"; }

private:
  using clock = std::chrono::steady_clock;
  struct held_request {
    std::uint64_t rid;
    reply_handle reply;
    clock::time_point deadline;  // answered empty then ('wait')
  };
  struct early_request {
    request_body body;
    reply_handle reply;
    clock::time_point arrived;
  };

  // Requests (bosh_requests.cpp).
  void on_request(request_body b, bool tls, reply_handle reply);
  void process(request_body b, reply_handle reply);
  void refuse(reply_handle& reply, std::string_view condition);
  // Answers the oldest held request with what is buffered, or with nothing (the older ones
  // when a later one is to carry the terminate and the stream error before it).
  void answer_oldest(std::string_view type_attrs = {}, bool with_output = true);
  std::string response_attributes(std::uint64_t rid);
  void arm_timer();
  void on_timer();

  // Output and the end (bosh_session.cpp).
  std::string open_document() const;
  void pump();
  void schedule_flush();
  void flush();
  void end_after_terminate();
  void end(std::string_view condition);
  void notify_handed(bool handed);

  boost::asio::any_io_executor strand_;
  session_settings settings_;
  ended_fn on_ended_;
  std::string sid_;
  xmpp::stream_driver* driver_ = nullptr;  // set by attach()
  std::shared_ptr<xmpp::stream_driver> keep_driver_;
  rid_window window_;
  std::deque<held_request> held_;                 // in rid order
  std::map<std::uint64_t, early_request> early_;  // arrived before their predecessors
  std::deque<std::string> inputs_;                // documents for the driver
  std::vector<std::string> outbox_;               // output for the next response
  std::size_t outbox_bytes_ = 0;
  xmpp::write_callbacks on_handed_;                    // each due once handed_total_ writes are in responses
  std::uint64_t queued_total_ = 0, handed_total_ = 0;  // writes, and those put in a response
  boost::asio::steady_timer timer_;
  clock::time_point last_request_ = clock::now();
  std::optional<clock::time_point> last_empty_;  // hold='0': the last empty request
  clock::duration idle_limit_;                   // inactivity, or the pause asked for
  bool creation_answered_ = false;
  bool read_wanted_ = false, pumping_ = false, flush_scheduled_ = false;
  bool closing_ = false;            // the stream ended: the next answer is the terminate
  bool client_terminated_ = false;  // the client sent type='terminate'
  bool stream_error_ = false;       // a stream error is in the outbox
  bool ended_ = false;
};

}  // namespace ofs::bosh
