// The event stream (text/event-stream): the state at once, then each change the viewer may
// see, and a comment line every heartbeat so that proxies keep it and a gone client is found.
// Runs on the connection's strand; presence changes wake it through the watchers.
#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/write.hpp>

#include "http/http_date.hpp"
#include "http/status/endpoint.hpp"

namespace ofs::http::status {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

struct stream_state {
  explicit stream_state(asio::any_io_executor ex) : timer(ex) {}
  asio::steady_timer timer;
  bool changed = false, stopping = false;
};

template <class Stream>
asio::awaitable<bool> send(Stream& stream, std::string text) {
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  auto [ec, n] = co_await asio::async_write(stream, asio::buffer(text), nothrow);
  co_return !ec;
}

template <class Stream>
asio::awaitable<void> refuse(Stream& stream, response res) {
  res.set(bhttp::field::server, "OFS");
  res.set(bhttp::field::date, http_date_now());
  res.keep_alive(false);
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(30));
  co_await bhttp::async_write(stream, res, nothrow);
}

template <class Stream>
asio::awaitable<void> run(endpoint& ep, request req, Stream& stream, std::shared_ptr<shutdown_hook> hook) {
  auto c = ep.check(req);
  if (c.refused) {
    auto refusing = refuse(stream, std::move(*c.refused));  // named: GCC 12
    co_await std::move(refusing);
    co_return;
  }
  auto state = std::make_shared<stream_state>(stream.get_executor());
  std::weak_ptr<stream_state> weak = state;
  auto ex = stream.get_executor();
  auto watch = ep.watchers_for_events().add(c.req->user, [weak, ex] {
    asio::post(ex, [weak] {
      if (auto s = weak.lock()) s->changed = true, s->timer.cancel();
    });
  });
  *hook = [weak](core::connection_tracker::close_mode) {
    if (auto s = weak.lock()) s->stopping = true, s->timer.cancel();
  };
  const std::string head =
      "HTTP/1.1 200 OK\r\nServer: OFS\r\nDate: " + http_date_now() +
      "\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\nAccess-Control-Allow-Origin: *\r\n"
      "X-Content-Type-Options: nosniff\r\nX-Accel-Buffering: no\r\nConnection: close\r\n\r\nretry: 3000\n\n";
  if (!(co_await send(stream, head))) co_return;
  std::string last;
  for (unsigned id = 1; !state->stopping;) {
    state->changed = false;
    auto getting = ep.snapshot_for(c.req->user, c.viewer);  // named: GCC 12
    auto snap = co_await std::move(getting);
    std::string message;
    if (snap) {
      std::string data = state_json(c.req->user, *snap);
      if (data != last) message = "event: presence\nid: " + std::to_string(id++) + "\ndata: " + data + "\n\n";
      last = std::move(data);
    }
    if (message.empty()) message = ": keep-alive\n\n";
    if (!(co_await send(stream, std::move(message)))) break;
    if (state->changed) continue;  // woken while writing
    state->timer.expires_after(ep.options().heartbeat);
    co_await state->timer.async_wait(nothrow);
  }
}

}  // namespace

asio::awaitable<void> endpoint::events(request req, upgrade_stream s, std::shared_ptr<shutdown_hook> hook) {
  if (auto* plain = std::get_if<beast::tcp_stream*>(&s)) {
    auto running = run(*this, std::move(req), **plain, hook);  // named: GCC 12
    co_await std::move(running);
  } else {
    auto running = run(*this, std::move(req), *std::get<tls_stream*>(s), hook);  // named: GCC 12
    co_await std::move(running);
  }
}

}  // namespace ofs::http::status
