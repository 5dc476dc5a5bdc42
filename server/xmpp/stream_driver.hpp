#pragma once
// Drives one client stream over any transport: the parser-driven event loop, the watchdog
// (login deadline, XEP-0199 ping, close grace, parser hibernation) and the session's end.
// c2s_stream gives the events their XMPP meaning. It owns its transport; the transport's
// handlers, the watchdog and posted work hold it alive. All on the transport's strand.
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>

#include "server/core/connection_tracker.hpp"
#include "server/xml/stream_parser.hpp"
#include "server/xmpp/c2s_stream.hpp"
#include "server/xmpp/transport.hpp"

namespace ofs::xmpp {

struct stream_driver_options {
  std::chrono::seconds login_timeout{30};
  std::chrono::seconds idle_timeout{300};  // then a ping; no answer within ping_timeout: closed
  std::chrono::seconds ping_timeout{30};
  // A bound session silent this long frees its XML parser until the next bytes come.
  std::chrono::seconds hibernate_after{2};
  xml::parser_limits limits;
  c2s_options c2s;
};

class stream_driver final : public std::enable_shared_from_this<stream_driver> {
public:
  stream_driver(std::shared_ptr<transport> t, im::service& im, const stream_driver_options& opts);
  ~stream_driver();

  // Runs a session for t (from any thread); the ticket counts it until the session is gone.
  // Returns the driver, e.g. for shut_down().
  static std::shared_ptr<stream_driver> launch(std::shared_ptr<transport> t, im::service& im,
                                               const stream_driver_options& opts,
                                               core::connection_tracker::ticket ticket);
  // From any thread: end the stream with a stream error (shutdown sends "system-shutdown").
  void shut_down(std::string_view condition);
  // From any thread: run fn on the strand, as a handler of this session.
  void post(std::function<void()> fn);

  // The exception barrier of every handler of this session: wraps h so that it holds the
  // session alive and an exception it throws ends this session only, logged once.
  template <class Handler>
  auto handler(Handler h) {
    return [self = shared_from_this(), h = std::move(h)](auto&&... args) mutable {
      self->guarded([&] { h(std::forward<decltype(args)>(args)...); });
    };
  }
  template <class F>
  void guarded(F&& f) noexcept {
    try {
      f();
    } catch (...) {
      on_exception(std::current_exception());
    }
  }

  // From the transport, in its handlers.
  void on_ready();                        // it can carry a stream now
  void on_input(std::string_view input);  // bytes, or one document; consumed before returning
  void on_closed();                       // the connection is gone
  // A request without input (BOSH) shows that the peer is there: no ping needed yet.
  void on_activity();
  // Output the transport took but could not hand to the peer before the session ended (BOSH:
  // no request came for it): the stanzas in it go the router's undeliverable way. Before
  // on_closed().
  void unsent(std::string_view output);

  // From c2s_stream.
  transport& io() { return *transport_; }
  // A fresh stream (after STARTTLS or SASL success): every piece of input that came before,
  // parsed or not, is dropped here and nowhere else.
  void restart_stream();
  // restart_stream(), then the transport's TLS handshake.
  boost::asio::awaitable<bool> start_tls();
  // Ends the stream on the transport; the watchdog then gives the flush a few seconds.
  void close_stream();

private:
  void start(core::connection_tracker::ticket ticket);
  void handle_events();
  boost::asio::awaitable<void> handle_events_waiting(xml::stream_event first);
  void after_events();
  void read_more();
  void on_exception(std::exception_ptr e) noexcept;
  void finish();  // the connection is gone: leave the IM layer and close, once

  // The watchdog (stream_watchdog.cpp).
  void arm_watchdog();
  void on_watchdog();
  std::chrono::steady_clock::time_point watchdog_deadline() const;

  std::shared_ptr<transport> transport_;
  im::service& im_;
  const stream_driver_options& options_;
  std::size_t discarded_ = 0;  // input dropped since the stream began to close
  std::shared_ptr<c2s_stream> c2s_;
  xml::stream_parser parser_;
  boost::asio::steady_timer watchdog_;
  error_code parse_error_;  // reported once the events before it are handled
  bool ready_ = false;
  bool ping_sent_ = false;
  bool hibernation_tried_ = false;  // since the last read
  bool bound_seen_ = false;
  bool finished_ = false;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::optional<std::chrono::steady_clock::time_point> closing_since_;
  std::chrono::steady_clock::time_point last_read_ = started_;
  std::optional<core::connection_tracker::ticket> ticket_;
};

}  // namespace ofs::xmpp
