#pragma once
// One load-generator XMPP client connection over TCP (STARTTLS on request) or WebSocket:
// SASL PLAIN (or SCRAM-SHA-1 or -256), resource binding, initial presence. Owned by its scenario; every
// client of a run lives on one single-threaded io_context, so nothing here takes a lock.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "server/core/element.hpp"
#include "server/xml/stream_parser.hpp"
#include "tests/bench/scram_client.hpp"
#include "tests/bench/tls_client.hpp"
#include "tests/bench/transport.hpp"

namespace ofs::bench {

struct login_options {
  boost::asio::ip::tcp::endpoint server;
  std::string domain;
  std::string password;
  tls_client* tls = nullptr;              // non-null: STARTTLS before authenticating
  std::string ws_path;                    // non-empty: XMPP over WebSocket at this path
  std::optional<scram_hash> scram;        // SCRAM-SHA-1 or -256 instead of PLAIN
  scram_key_cache* scram_keys = nullptr;  // keys kept across logins (null: derived each time)
  bool fetch_roster = false;              // makes the session "interested" in roster pushes
  bool initial_presence = true;
  // XEP-0198: enable after binding, answer the server's <r/>, ask for an ack after every
  // ack_every stanzas sent (slixmpp's default window is 5).
  bool stream_management = false;
  unsigned ack_every = 5;
};

class client {
public:
  // `source`, unless unspecified, is the local address it connects from (TCP only).
  client(boost::asio::io_context& io, std::string user, const login_options& opts,
         boost::asio::ip::address source = {});
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  // Connects and negotiates, then sends initial presence and a ping: its answer means the
  // server has processed everything before it. false (and error()) on any failure.
  boost::asio::awaitable<bool> login();
  // XEP-0077 in-band registration of this client's account, then the connection is closed.
  boost::asio::awaitable<bool> register_account();
  // Until the connection ends: answers server pings and roster pushes, passes every stanza
  // to on_stanza. Start it once login() succeeded.
  boost::asio::awaitable<void> read_loop();
  std::function<void(const core::element&)> on_stanza;
  bool trace = false;  // every stanza received after login goes to stderr too

  void send(std::string_view xml);  // queued; one write carries everything queued meanwhile
  // A stanza the server counts for stream management; send() for anything else.
  void send_stanza(std::string_view xml);
  void request_ack();  // an <r/> now (stream management only)
  // Stanzas sent since <enable/> that the server has not acknowledged yet.
  std::uint64_t unacked() const { return sent_stanzas_ - acked_; }
  void close();  // sends </stream:stream>, then shuts the socket
  bool open() const { return !closed_; }

  const std::string& user() const { return user_; }
  const std::string& bare() const { return bare_; }
  const std::string& full_jid() const { return full_; }
  const std::string& error() const { return error_; }
  // Contacts at subscription 'both' in the roster fetched at login (fetch_roster).
  std::size_t roster_both() const { return roster_both_; }

private:
  boost::asio::awaitable<bool> read_more();  // feeds the parser; false when the peer is gone
  boost::asio::awaitable<std::optional<core::element>> next_stanza();
  boost::asio::awaitable<bool> authenticate();
  boost::asio::awaitable<bool> sasl(core::element features);
  boost::asio::awaitable<std::optional<core::element>> scram_exchange();
  boost::asio::awaitable<bool> bind();
  boost::asio::awaitable<bool> start_tls();
  bool fail(std::string why);
  boost::asio::awaitable<bool> connect();
  bool auto_reply(const core::element& e);  // pings and roster pushes need an answer
  // Counts the server's stanzas, answers <r/> and takes <a/>: true for SM elements.
  bool stream_management(const core::element& e);

  std::unique_ptr<transport> transport_;
  const login_options& options_;
  std::string user_, bare_, full_;
  xml::stream_parser parser_;
  bool closed_ = false;
  std::size_t roster_both_ = 0;
  bool sm_requested_ = false, sm_enabled_ = false;  // <enable/> sent; <enabled/> received
  std::uint64_t received_stanzas_ = 0, sent_stanzas_ = 0, acked_ = 0;
  std::string error_;
};

}  // namespace ofs::bench
