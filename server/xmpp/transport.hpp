#pragma once
// What carries one client stream: TCP with STARTTLS or direct TLS today, WebSocket (RFC 7395)
// and BOSH (XEP-0124/0206) next. A transport moves input in and serialized output out and
// says when it closed; everything XMPP is its stream_driver's. It lives on the session's
// strand and calls the driver only through handlers made by stream_driver::handler().
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "server/auth/channel_binding.hpp"
#include "server/xml/serializer.hpp"

namespace ofs::xmpp {

class stream_driver;

// How input arrives: a byte stream for one incremental parser (TCP, TLS), or one complete
// XML document per unit, the stream framed by <open/> and <close/> (a WebSocket message, a
// BOSH <body/> payload).
enum class input_framing { byte_stream, documents };

class transport {
public:
  virtual ~transport() = default;

  virtual input_framing framing() const = 0;
  virtual boost::asio::any_io_executor executor() const = 0;  // the session's strand

  // Every call below happens on the strand. The driver calls attach() once, then start():
  // the transport readies the connection (direct TLS: the handshake) and calls
  // driver.on_ready(), or driver.on_closed() if that failed.
  virtual void attach(stream_driver& driver) = 0;
  virtual void start() = 0;
  // Delivers the next input once: driver.on_input() with bytes or one document, which the
  // driver consumes before it returns, or driver.on_closed(). The driver asks again when it
  // is ready for more, so an input is never read while the previous one is being handled.
  virtual void read() = 0;

  // Queues output. A peer that stops reading past the outbox limit is closed.
  virtual void write(std::string bytes) = 0;
  // The same, and done(true) once everything queued so far, these bytes included, has been
  // handed to the connection (TCP: the socket took it), or done(false) if it closed first.
  virtual void write(std::string bytes, std::function<void(bool written)> done) = 0;
  // Framing of the stream's open and close: <stream:stream> on TCP, <open/> on WebSocket.
  virtual void open_stream(std::string_view attributes) = 0;
  // How elements are written between open and close (WebSocket: each declares its namespace).
  virtual xml::write_context output_context() const { return {}; }  // attributes already escaped
  virtual void close_stream() = 0;                                  // writes the close, flushes, then closes
  // Closes at once, writing nothing more; the pending or next read() reports on_closed().
  virtual void close() = 0;

  virtual bool tls_active() const = 0;
  virtual bool starttls_possible() const = 0;
  // Flushes what is queued (<proceed/>) and runs the TLS handshake; false if it failed (the
  // connection is then closed). The driver has dropped all earlier input before this.
  virtual boost::asio::awaitable<bool> start_tls() = 0;
  virtual auth::channel_binding channel_binding() const = 0;

  virtual std::string remote_address() const = 0;
  virtual bool remote_is_loopback() const = 0;
  // What carries the stream, for administrators ("tcp", "websocket", ...); fixed, any thread.
  virtual std::string_view kind() const = 0;

  // A short id unique in the process ("c2s-1f", "ws-20", "bosh-21") that starts every log
  // line about this connection, so one session's lines can be followed; any thread.
  std::string connection_id() const;

private:
  const std::uint64_t serial_ = next_serial();
  static std::uint64_t next_serial();
};

}  // namespace ofs::xmpp
