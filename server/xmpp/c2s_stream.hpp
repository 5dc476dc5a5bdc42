#pragma once
// The meaning of one XMPP client stream (RFC 6120): negotiation (STARTTLS, SASL, resource
// binding or XEP-0198 resumption) and then the established session (a c2s_session, which may
// outlive this stream), whose stanzas go to the IM layer. Its stream_driver feeds it events,
// whatever the transport. Lives on the driver's strand; wake(), post_stream_error() and
// post_close() may be called from any thread.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "server/auth/sasl.hpp"
#include "server/im/service.hpp"
#include "server/xml/stream_parser.hpp"
#include "server/xmpp/c2s_session.hpp"

namespace ofs::login {
class sasl_exchange;
class widget_tokens;
class rate_limiter;
}  // namespace ofs::login

namespace ofs::xmpp {

class stream_driver;
class transport;

inline constexpr std::string_view sm_ns = "urn:xmpp:sm:3";    // XEP-0198
inline constexpr std::string_view csi_ns = "urn:xmpp:csi:0";  // XEP-0352

struct c2s_options {
  std::vector<std::string> domains;
  bool require_tls = true;                 // no authentication before STARTTLS
  bool allow_plain_on_loopback = false;    // PLAIN without TLS from loopback (load tools)
  unsigned max_auth_failures = 3;          // then the stream is closed
  bool refuse_cb_downgrade = false;        // see auth::sasl_options
  sm_options sm;                           // XEP-0198 stream management
  login::widget_tokens* tokens = nullptr;  // the web widget's login tokens (WebSocket, BOSH); none: off
  std::string anonymous_domain;            // visitors log in there with ANONYMOUS; empty: none
  login::rate_limiter* anonymous_logins = nullptr;  // visitor logins per peer address
};

class c2s_stream final : public std::enable_shared_from_this<c2s_stream> {
public:
  c2s_stream(std::shared_ptr<stream_driver> driver, im::service& im, const c2s_options& opts);
  ~c2s_stream();

  // From the session, any thread: write what it has for the client (take_output) soon; end
  // the stream with a stream error; close the connection (the session went elsewhere).
  void wake();
  void post_stream_error(std::string condition, std::string text);
  void post_close();
  std::string remote_address() const;
  std::string connection_id() const;        // the transport's, for log lines; any thread
  std::string_view transport_kind() const;  // its transport's kind(), from any thread

  // Driven by the stream_driver, on the strand.
  boost::asio::awaitable<void> on_event(xml::stream_event ev);
  // The same for what needs no waiting (a stanza of an established session): true if done.
  bool handle_now(xml::stream_event& ev);
  void on_parse_error(error_code ec);
  void on_timeout();  // login deadline passed, or the peer went silent and did not answer a ping
  void send_ping();   // XEP-0199, to a silent peer
  void on_closed();   // the connection is gone, cleanly or not: leave the IM layer
  // Serialized output the transport could not write: its stanzas go to the router's
  // undeliverable path (another resource, offline storage, or an error to the sender).
  void unsent(std::string_view output);
  bool authenticated() const { return !username_.empty(); }
  bool bound() const { return bound_; }
  bool closing() const { return closing_; }

  // Ends the stream with a stream error (RFC 6120 4.9.3), e.g. "policy-violation".
  void stream_error(std::string_view condition, std::string_view text = {});

private:
  // Negotiation (c2s_negotiation.cpp).
  void on_open(const xml::open_event& e);
  void send_features();
  boost::asio::awaitable<void> on_negotiation_element(core::element e);
  boost::asio::awaitable<void> on_starttls();
  boost::asio::awaitable<void> on_auth(const core::element& e);
  boost::asio::awaitable<void> on_sasl_response(const core::element& e);
  void on_sasl_step(auth::sasl_step step);
  void sasl_failed(auth::sasl_failure why, std::string_view text = {});
  void on_bind(const core::element& iq);
  auth::sasl_options sasl_options() const;

  // Established (c2s_stream.cpp).
  void on_stanza(core::element e);
  void write_element(const core::element& e);
  void write_stanza(const core::stanza& s);  // a broadcast's shared payload as it is
  void send_stanza(const core::element& e);  // counted by stream management when enabled
  void reply_error(const core::element& request, core::condition c);
  void end_stream();  // our </stream:stream> (or the transport's close), then the connection
  void on_wake();     // writes what the session has for the client
  xmpp::transport& io() const;

  // Stream management and client state (c2s_sm.cpp).
  bool on_sm_element(const core::element& e);  // false: not one of them
  void on_enable(const core::element& e);
  void on_resume(const core::element& e);
  void on_ack(const core::element& e);
  void sm_failed(core::condition c, std::optional<std::uint32_t> h = std::nullopt);
  void after_writes(std::size_t unacked);  // asks for an ack when due
  void request_ack();

  // The widget's token requests (c2s_widget.cpp): false when e is not one of them.
  bool on_widget_iq(const core::element& e);
  bool web_transport() const;

  // The driver owns this stream and runs every call on the strand, so it is alive there;
  // from other threads it is reached through driver_ref_, and may be gone.
  stream_driver* driver_;
  std::weak_ptr<stream_driver> driver_ref_;
  im::service& im_;
  const c2s_options& options_;
  std::string domain_;                    // the domain this stream is for
  std::string username_;                  // set by SASL success
  core::jid jid_;                         // set by resource binding or resumption
  std::shared_ptr<c2s_session> session_;  // from then on, until the stream ends
  bool bound_ = false;
  bool closing_ = false;
  bool stream_open_ = false;
  bool resumable_end_ = true;                             // a lost connection, not a close or a stream error
  bool sm_ = false;                                       // XEP-0198 enabled (or resumed) on this stream
  bool ack_requested_ = false;                            // our <r/> waits for the client's <a/>
  std::unique_ptr<boost::asio::steady_timer> ack_timer_;  // the delayed <r/>
  bool ack_timer_armed_ = false;
  std::unique_ptr<login::sasl_exchange> sasl_;  // from the first <auth/> until success
  unsigned auth_failures_ = 0;
  unsigned pings_ = 0;

  // Receipts (c2s_receipts.cpp). A stanza whose receipt matters (an offline message, deleted
  // once received) is followed by a ping; the client's answer proves that it read everything
  // written before it, which a socket write does not (the kernel's buffers die with a reset).
  using receipt_fn = std::function<void(bool received)>;
  void await_receipt(receipt_fn done);
  void send_receipt_ping();
  bool is_receipt_answer(const core::element& iq) const;
  void on_receipt_answer();
  void fail_receipts();
  std::vector<receipt_fn> unconfirmed_;  // written after the ping in flight, if any
  std::vector<receipt_fn> confirming_;   // written before the ping in flight
  std::string receipt_ping_id_;          // empty: none in flight
};

}  // namespace ofs::xmpp
