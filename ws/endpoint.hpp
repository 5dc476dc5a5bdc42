#pragma once
// The XMPP over WebSocket endpoint (RFC 7395) that the HTTP(S) listeners mount at
// /xmpp-websocket: checks and accepts the upgrade, then runs a stream_driver session over a
// ws_transport until the connection ends. Built once at start-up, read-only afterwards.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <functional>
#include <memory>

#include "server/im/service.hpp"
#include "server/xmpp/http_login_policy.hpp"
#include "server/xmpp/stream_driver.hpp"
#include "ws/handshake.hpp"
#include "ws/options.hpp"

namespace ofs::ws {

using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream&>;

class endpoint {
public:
  // base: the c2s settings (limits, timeouts, domains, SASL); require_tls is decided here.
  endpoint(im::service& im, const xmpp::stream_driver_options& base, options opts);

  // An upgrade request on a plain or TLS HTTP connection; returns when the connection is done.
  // on_shutdown is set to end the session with a <system-shutdown/> stream error (graceful)
  // or at once.
  using shutdown_hook = std::function<void(core::connection_tracker::close_mode)>;
  boost::asio::awaitable<void> serve(request req, boost::beast::tcp_stream* stream,
                                     std::shared_ptr<shutdown_hook> on_shutdown) const;
  boost::asio::awaitable<void> serve(request req, tls_stream* stream,
                                     std::shared_ptr<shutdown_hook> on_shutdown) const;
  // A request that is not an upgrade: 426, saying how to connect.
  response plain_request(const request& req) const { return upgrade_required(req); }

  const options& config() const { return options_; }
  im::service& im() const { return im_; }
  // Session settings: over TLS, from loopback or with allow_plain_http_logins, logins are
  // allowed; otherwise require_tls keeps SASL from being offered or accepted.
  const xmpp::stream_driver_options& session_options(bool tls, bool loopback) const {
    return logins_.options(tls, loopback);
  }

private:
  im::service& im_;
  options options_;
  xmpp::http_login_policy logins_;
};

}  // namespace ofs::ws
