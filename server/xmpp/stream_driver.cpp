#include "server/xmpp/stream_driver.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/defer.hpp>
#include <boost/asio/dispatch.hpp>

namespace ofs::xmpp {
namespace asio = boost::asio;

stream_driver::stream_driver(std::shared_ptr<transport> t, im::service& im, const stream_driver_options& opts)
    : transport_(std::move(t)),
      im_(im),
      options_(opts),
      parser_(opts.limits),
      watchdog_(transport_->executor()) {}

stream_driver::~stream_driver() = default;

std::shared_ptr<stream_driver> stream_driver::launch(std::shared_ptr<transport> t, im::service& im,
                                                     const stream_driver_options& opts,
                                                     core::connection_tracker::ticket ticket) {
  auto driver = std::make_shared<stream_driver>(std::move(t), im, opts);
  asio::dispatch(
      driver->transport_->executor(),
      driver->handler([d = driver.get(), t = std::move(ticket)]() mutable { d->start(std::move(t)); }));
  return driver;
}

void stream_driver::start(core::connection_tracker::ticket ticket) {
  ticket_.emplace(std::move(ticket));
  spdlog::debug("{}: connection from {}", transport_->connection_id(), transport_->remote_address());
  transport_->attach(*this);
  c2s_ = std::make_shared<c2s_stream>(shared_from_this(), im_, options_.c2s);
  arm_watchdog();
  transport_->start();
}

void stream_driver::shut_down(std::string_view condition) {
  post([this, c = std::string(condition)] {
    if (c2s_) c2s_->stream_error(c);
  });
}

void stream_driver::post(std::function<void()> fn) {
  asio::defer(transport_->executor(), handler(std::move(fn)));
}

void stream_driver::on_exception(std::exception_ptr e) noexcept {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& x) {
    spdlog::error("{} {}: session failed: {}", transport_->connection_id(), transport_->remote_address(),
                  x.what());
  } catch (...) {
    spdlog::error("{} {}: session failed: unknown exception", transport_->connection_id(),
                  transport_->remote_address());
  }
  try {
    finish();
  } catch (...) {  // leaving the IM layer failed as well; the connection is closed already
    spdlog::error("{}: leaving the IM layer failed too", transport_->connection_id());
  }
}

void stream_driver::on_ready() {
  ready_ = true;
  watchdog_.cancel();  // from the handshake's deadline to the stream's
  read_more();
}

void stream_driver::read_more() {
  if (finished_) return;
  transport_->read();
}

void stream_driver::on_input(std::string_view input) {
  if (finished_) return;
  if (c2s_->closing()) {
    // The stream is ending: what the peer still sends is dropped while its close is awaited
    // (RFC 6120 4.4), but a peer that goes on sending a stanza's worth is cut off.
    discarded_ += input.size();
    if (discarded_ > options_.limits.max_stanza_bytes) return transport_->close();
    return read_more();
  }
  last_read_ = std::chrono::steady_clock::now();
  ping_sent_ = hibernation_tried_ = false;
  // The parser copies what it keeps.
  parse_error_ =
      transport_->framing() == input_framing::documents ? parser_.feed_document(input) : parser_.feed(input);
  handle_events();
}

// Stanzas of a bound session are handled at once; the rest of a batch goes through a
// coroutine when an event has to wait (TLS, SASL, storage). Input is read again only after.
void stream_driver::handle_events() {
  while (!c2s_->closing()) {
    auto ev = parser_.next();
    if (!ev) break;
    if (c2s_->handle_now(*ev)) continue;
    auto done = handler([](std::exception_ptr e) {
      if (e) std::rethrow_exception(e);
    });
    asio::co_spawn(transport_->executor(), handle_events_waiting(std::move(*ev)), std::move(done));
    return;
  }
  after_events();
}

asio::awaitable<void> stream_driver::handle_events_waiting(xml::stream_event first) {
  auto c2s = c2s_;  // alive across the waits, even if the session ends meanwhile
  co_await c2s->on_event(std::move(first));
  while (!finished_ && !c2s->closing()) {
    auto ev = parser_.next();
    if (!ev) break;
    co_await c2s->on_event(std::move(*ev));
  }
  if (!finished_) after_events();
}

void stream_driver::after_events() {
  if (parse_error_ && !c2s_->closing()) c2s_->on_parse_error(parse_error_);
  parse_error_ = {};
  if (!bound_seen_ && c2s_->bound()) {
    bound_seen_ = true;
    watchdog_.cancel();  // the watchdog's deadlines change once the session is bound
  }
  read_more();
}

void stream_driver::restart_stream() {
  parser_.reset();  // queued events, a half-parsed stanza, buffered bytes
  parse_error_ = {};
}

asio::awaitable<bool> stream_driver::start_tls() {
  restart_stream();  // RFC 6120 5.4.3.3: nothing sent in clear may reach the TLS stream
  co_return co_await transport_->start_tls();
}

void stream_driver::close_stream() {
  transport_->close_stream();
  watchdog_.cancel();  // re-armed at once with the close grace
}

void stream_driver::on_closed() { finish(); }

void stream_driver::on_activity() {
  last_read_ = std::chrono::steady_clock::now();
  ping_sent_ = false;
}

void stream_driver::unsent(std::string_view output) {
  if (c2s_) c2s_->unsent(output);
}

void stream_driver::finish() {
  if (finished_) return;
  finished_ = true;
  spdlog::debug("{}: connection closed", transport_->connection_id());
  watchdog_.cancel();
  transport_->close();         // may still hand back what it could not send (unsent())
  auto c2s = std::move(c2s_);  // alive until it has left the IM layer
  if (c2s) c2s->on_closed();
}

}  // namespace ofs::xmpp
