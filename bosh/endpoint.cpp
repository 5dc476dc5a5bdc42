#include "bosh/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/field.hpp>

#include "server/core/jid.hpp"

// GCC 12 warns, wrongly, that a coroutine frame awaited by another coroutine of this file is
// freed by a mismatched operator delete (both are Asio's awaitable_frame_base operators).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
#endif

namespace ofs::bosh {
namespace asio = boost::asio;
namespace bhttp = boost::beast::http;

asio::awaitable<std::tuple<boost::system::error_code, std::string>> reply_slot::wait() {
  co_return co_await channel_.async_receive(asio::as_tuple(asio::use_awaitable));
}

endpoint::endpoint(asio::any_io_executor ex, im::service& im, const xmpp::stream_driver_options& base,
                   options opts, std::size_t max_body_bytes, std::size_t max_sessions)
    : ex_(std::move(ex)),
      im_(im),
      options_(std::move(opts)),
      max_body_bytes_(max_body_bytes),
      logins_(base, options_.allow_plain_http_logins),
      table_(std::make_shared<session_table<bosh_session>>(max_sessions)) {}

endpoint::~endpoint() = default;

void endpoint::shut_down(core::connection_tracker::close_mode mode) {
  for (const auto& s : table_->all()) s->shut_down(mode);
}

void endpoint::allow_origin(const http::request& req, http::response& res) const {
  auto origin = req.find(bhttp::field::origin);
  if (origin == req.end()) return;
  res.set(bhttp::field::access_control_allow_origin, origin->value());
  res.set(bhttp::field::vary, "Origin");
}

http::response endpoint::xml_response(const http::request& req, std::string body) const {
  auto res = http::make_response(req, bhttp::status::ok, std::move(body), "text/xml; charset=utf-8");
  res.set(bhttp::field::cache_control, "no-store");
  allow_origin(req, res);
  return res;
}

asio::awaitable<http::response> endpoint::handle(http::request req, http::request_context ctx) {
  if (!http::origin_allowed(req, ctx.loopback, options_.allowed_origins)) {
    spdlog::info("bosh {}: Origin '{}' refused", ctx.remote, std::string(req[bhttp::field::origin]));
    co_return http::make_response(req, bhttp::status::forbidden,
                                  "Forbidden: Origin '" + std::string(req[bhttp::field::origin]) +
                                      "' is not allowed ([bosh] allowed_origins)");
  }
  if (req.method() == bhttp::verb::options) {  // a CORS preflight (Fetch standard)
    auto res = http::make_response(req, bhttp::status::ok, "");
    allow_origin(req, res);
    res.set(bhttp::field::access_control_allow_methods, "POST, OPTIONS");
    res.set(bhttp::field::access_control_allow_headers, "Content-Type");
    res.set(bhttp::field::access_control_max_age, "86400");
    co_return res;
  }
  if (req.method() != bhttp::verb::post) {
    auto res = http::make_response(req, bhttp::status::method_not_allowed,
                                   "Method Not Allowed: this is the XMPP over BOSH endpoint (XEP-0124, "
                                   "XEP-0206); POST <body/> documents to it");
    res.set(bhttp::field::allow, "POST, OPTIONS");
    allow_origin(req, res);
    co_return res;
  }
  std::string why;
  auto b = parse_body(req.body(), max_body_bytes_, why);
  if (!b) {
    spdlog::info("bosh {}: bad request: {}", ctx.remote, why);
    auto res = xml_response(req, terminate("bad-request"));
    res.result(bhttp::status::bad_request);
    co_return res;
  }
  if (b->sid().empty()) {
    auto created = create(std::move(req), std::move(ctx), std::move(*b));
    co_return co_await std::move(created);
  }
  auto session = table_->find(std::string(b->sid()));
  if (!session) {  // unknown, ended, or guessed: all the same to the client (section 17.2)
    spdlog::info("bosh {}: no session '{}'", ctx.remote, std::string(b->sid()));
    co_return xml_response(req, terminate("item-not-found"));
  }
  auto here = co_await asio::this_coro::executor;
  auto slot = std::make_shared<reply_slot>(here);
  session->submit(std::move(*b), ctx.tls, reply_handle(slot));
  auto reply = await_reply(std::move(req), std::move(ctx), std::move(slot));
  co_return co_await std::move(reply);
}

asio::awaitable<http::response> endpoint::create(http::request req, http::request_context ctx,
                                                 request_body b) {
  auto to = core::jid::parse(b.xml.attr("to"));
  if (!to || !to->is_domain() || !im_.router().is_local_domain(to->domain())) {
    spdlog::info("bosh {}: session for '{}' refused: not hosted here", ctx.remote,
                 std::string(b.xml.attr("to")));
    co_return xml_response(req, terminate("host-unknown"));
  }
  session_settings s;
  s.domain = to->domain();
  s.first_rid = b.rid;
  s.wait =
      std::min(std::chrono::seconds(b.number("wait").value_or(options_.max_wait.count())), options_.max_wait);
  auto hold = std::min<std::uint64_t>(b.number("hold").value_or(1), options_.max_hold);
  s.requests = static_cast<unsigned>(std::clamp<std::uint64_t>(hold + 1, 1, options_.max_requests));
  s.hold = static_cast<unsigned>(std::min<std::uint64_t>(hold, s.requests - 1));  // room to send while held
  s.inactivity = options_.max_inactivity;
  s.max_pause = options_.max_pause;
  s.polling = options_.polling;
  s.max_buffered_bytes = options_.max_buffered_bytes;
  s.acks = b.xml.attr("ack") == "1";
  s.tls = ctx.tls;
  s.loopback = ctx.loopback;
  s.remote = ctx.remote;

  auto here = co_await asio::this_coro::executor;
  auto slot = std::make_shared<reply_slot>(here);
  auto sid = new_sid();
  if (!sid) co_return http::make_response(req, bhttp::status::internal_server_error, "no random numbers");
  std::weak_ptr<session_table<bosh_session>> table = table_;
  auto session = std::make_shared<bosh_session>(asio::make_strand(ex_), std::move(s), reply_handle(slot),
                                                [table](const std::string& sid) {
                                                  if (auto t = table.lock()) t->erase(sid);
                                                });
  session->set_sid(*sid);
  if (!table_->add(*sid, session))
    co_return http::make_response(req, bhttp::status::service_unavailable,
                                  "Service Unavailable: too many BOSH sessions, try later");
  spdlog::debug("{} {}: session created", session->connection_id(), ctx.remote);  // the sid is a secret
  session->keep(xmpp::stream_driver::launch(session, im_, logins_.options(ctx.tls, ctx.loopback),
                                            core::connection_tracker::ticket()));
  auto reply = await_reply(std::move(req), std::move(ctx), std::move(slot));
  co_return co_await std::move(reply);
}

asio::awaitable<http::response> endpoint::await_reply(http::request req, http::request_context ctx,
                                                      std::shared_ptr<reply_slot> slot) {
  // At the server's last stop the request is given up; before it, the sessions answer.
  if (ctx.on_shutdown)
    *ctx.on_shutdown = [weak = std::weak_ptr<reply_slot>(slot)](core::connection_tracker::close_mode m) {
      if (auto s = weak.lock(); s && m == core::connection_tracker::close_mode::now) s->abandon();
    };
  auto [ec, body] = co_await slot->wait();
  if (ec) {
    auto res = http::make_response(req, bhttp::status::service_unavailable,
                                   "Service Unavailable: the BOSH session was ended by the server");
    res.keep_alive(false);
    co_return res;
  }
  co_return xml_response(req, std::move(body));
}

}  // namespace ofs::bosh
