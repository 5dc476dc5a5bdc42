#pragma once
// The XMPP over BOSH endpoint (XEP-0124, XEP-0206) that the HTTP(S) listeners mount at
// /http-bind: CORS, the checks of each request, session creation and the session table; each
// request then waits for its session's answer. Built once at start-up; shut_down() at the end.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <memory>

#include "bosh/bosh_session.hpp"
#include "bosh/options.hpp"
#include "bosh/session_table.hpp"
#include "http/route_table.hpp"
#include "server/im/service.hpp"
#include "server/xmpp/http_login_policy.hpp"

namespace ofs::bosh {

class endpoint {
public:
  // base: the c2s settings (limits, timeouts, domains, SASL); require_tls is decided per
  // session as for WebSocket. Sessions run on strands of ex; at most max_sessions at once.
  endpoint(boost::asio::any_io_executor ex, im::service& im, const xmpp::stream_driver_options& base,
           options opts, std::size_t max_body_bytes, std::size_t max_sessions);
  ~endpoint();

  // The route's handler: answers when the session has something to say, or after 'wait'.
  boost::asio::awaitable<http::response> handle(http::request req, http::request_context ctx);
  // Server shutdown: every session gets a <system-shutdown/> (graceful) or ends (now).
  void shut_down(core::connection_tracker::close_mode mode);
  std::size_t sessions() const { return table_->size(); }

private:
  boost::asio::awaitable<http::response> create(http::request req, http::request_context ctx, request_body b);
  boost::asio::awaitable<http::response> await_reply(http::request req, http::request_context ctx,
                                                     std::shared_ptr<reply_slot> slot);
  http::response xml_response(const http::request& req, std::string body) const;
  void allow_origin(const http::request& req, http::response& res) const;

  boost::asio::any_io_executor ex_;
  im::service& im_;
  options options_;
  std::size_t max_body_bytes_;
  xmpp::http_login_policy logins_;
  std::shared_ptr<session_table<bosh_session>> table_;  // sessions erase themselves at their end
};

}  // namespace ofs::bosh
