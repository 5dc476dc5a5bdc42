#pragma once
// What the XMPP client stream logic needs from the bytes underneath: TCP with STARTTLS or
// direct TLS today, WebSocket (RFC 7395) and BOSH later. The transport owns the socket,
// the parser and the strand; c2s_stream owns the XMPP meaning.
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <string>

#include "server/auth/channel_binding.hpp"

namespace ofs::xmpp {

class transport {
public:
  virtual ~transport() = default;

  // Every call below happens on the session's strand, except post().
  virtual void post(std::function<void()> fn) = 0;  // any thread: run fn on the strand
  // Queues bytes for the peer. A peer that stops reading past the outbox limit is closed.
  virtual void write(std::string bytes) = 0;
  // The same, then written(true) once the bytes were handed to the connection (the kernel's
  // socket buffer, or TLS), or written(false) if it closed first. Called once, on the strand.
  virtual void write(std::string bytes, std::function<void(bool written)> written) = 0;
  // Framing of the stream open and close: <stream:stream> on TCP, <open/> on WebSocket.
  virtual void open_stream(std::string_view attributes) = 0;  // attributes already escaped
  virtual void close_stream() = 0;  // writes the close, flushes, then closes the connection
  virtual void close() = 0;         // closes at once, writing nothing more

  virtual bool tls_active() const = 0;
  virtual bool starttls_possible() const = 0;
  // Flushes what is queued (<proceed/>), runs the TLS handshake and starts a fresh stream;
  // false if the handshake failed (the connection is then closed).
  virtual boost::asio::awaitable<bool> start_tls() = 0;
  virtual auth::channel_binding channel_binding() const = 0;
  // A fresh stream after SASL success: anything parsed but not handled is dropped.
  virtual void restart_stream() = 0;

  virtual std::string remote_address() const = 0;
  virtual bool remote_is_loopback() const = 0;
};

}  // namespace ofs::xmpp
