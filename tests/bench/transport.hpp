#pragma once
// How a load-generator client reaches the server: XMPP over TCP (STARTTLS on request) or
// over WebSocket (RFC 7395, subprotocol "xmpp"). The client speaks XMPP; its transport frames
// the stream's opening, stanzas and end, and feeds what arrives to the client's parser. Owned
// by its client, on the run's single-threaded io_context.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "server/xml/stream_parser.hpp"
#include "tests/bench/tls_client.hpp"

namespace ofs::bench {

class transport {
public:
  virtual ~transport() = default;
  // Connects (and upgrades, for WebSocket); empty on success, else what failed.
  virtual boost::asio::awaitable<std::string> connect(boost::asio::ip::tcp::endpoint server) = 0;
  // Waits for what the server sends next and feeds it to the parser (bytes of the stream, or
  // one document); false once the connection is gone or closed.
  virtual boost::asio::awaitable<bool> read(xml::stream_parser& parser) = 0;
  // A new stream to `domain`: at the start and after each restart (SASL, STARTTLS).
  virtual void open_stream(std::string_view domain) = 0;
  // Queues one top-level element; what is queued while a write is under way follows it.
  virtual void send(std::string_view xml) = 0;
  // After <proceed/>, for `user`'s connection (its TLS session is resumed when it has one);
  // empty on success. TCP only.
  virtual boost::asio::awaitable<std::string> start_tls(tls_client& tls, std::string user) = 0;
  // Ends the stream if that can be done at once, then closes the socket. Idempotent.
  virtual void close() = 0;

  // A write failed (the connection is unusable); set by the client.
  std::function<void(std::string why)> on_failure;
};

// `source`, when not unspecified, is the local address to connect from.
std::unique_ptr<transport> make_tcp_transport(boost::asio::io_context& io, boost::asio::ip::address source);
// `host` goes into the Host header, `path` is the request target (e.g. /xmpp-websocket).
std::unique_ptr<transport> make_ws_transport(boost::asio::io_context& io, std::string host, std::string path);

}  // namespace ofs::bench
