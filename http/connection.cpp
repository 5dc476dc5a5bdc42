#include "http/connection.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "http/http_date.hpp"
#include "http/request_checks.hpp"

namespace ofs::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

// A response to a request that could not be read or was refused; the connection then closes.
response refusal(bhttp::status status, std::string_view why) {
  request bare;
  bare.version(11);
  bare.keep_alive(false);
  return make_response(bare, status, std::string(bhttp::obsolete_reason(status)) + ": " + std::string(why));
}

std::optional<bhttp::status> status_for_read_error(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) return bhttp::status::payload_too_large;
  if (ec == bhttp::error::header_limit || ec == asio::error::not_found)  // not_found: no end in the limit
    return bhttp::status::request_header_fields_too_large;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return bhttp::status::bad_request;  // not HTTP, or not HTTP/1.1 as RFC 9112 has it
  return std::nullopt;                  // the peer went away or timed out: nobody to answer
}

// head_only: the answer to HEAD, whose header says what GET would send (Content-Length too).
template <class Stream>
asio::awaitable<void> write(Stream& stream, response& res, const listener_options& opts,
                            bool head_only = false) {
  res.set(bhttp::field::server, "OFS");
  res.set(bhttp::field::date, http_date_now());
  res.prepare_payload();
  beast::get_lowest_layer(stream).expires_after(opts.request_timeout);
  if (!head_only) {
    co_await bhttp::async_write(stream, res, nothrow);
    co_return;
  }
  bhttp::response_serializer<bhttp::string_body> serializer(res);
  co_await bhttp::async_write_header(stream, serializer, nothrow);
}

// Reads into `buffer` until it holds a whole header; the header's length. Not
// asio::async_read_until: given a Beast buffer it reads into a copy of it, which left this one
// without every byte past the first read of a header longer than 4 KiB.
template <class Stream>
asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_header(Stream& stream,
                                                                                beast::flat_buffer& buffer,
                                                                                std::size_t limit) {
  constexpr std::string_view end = "\r\n\r\n";
  std::size_t searched = 0;  // where the end may start, in what was not searched yet
  for (;;) {
    const std::string_view data(static_cast<const char*>(buffer.data().data()), buffer.size());
    if (auto at = data.find(end, searched); at != data.npos)
      co_return std::tuple(boost::system::error_code(), at + end.size());
    if (data.size() > limit)
      co_return std::tuple(make_error_code(bhttp::error::header_limit), std::size_t{0});
    searched = data.size() < end.size() ? 0 : data.size() - end.size() + 1;
    auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), nothrow);
    if (ec) co_return std::tuple(ec, std::size_t{0});
    buffer.commit(n);
  }
}

// Reads and answers requests until the peer or an error ends the connection.
template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, const route_table& routes, const listener_options& opts,
                                     std::shared_ptr<shutdown_hook> on_shutdown) {
  beast::flat_buffer buffer(opts.max_header_bytes + 8 * 1024);
  auto& tcp = beast::get_lowest_layer(stream);
  request_context context = context_of(tcp.socket(), opts.tls != nullptr);
  context.on_shutdown = on_shutdown;
  for (;;) {
    if (buffer.size() == 0) {  // idle between requests
      tcp.expires_after(opts.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(4096), nothrow);
      if (ec) co_return;
      buffer.commit(n);
    }
    // The header as sent, checked for what Beast's parser would quietly accept (obs-fold).
    tcp.expires_after(opts.request_timeout);
    auto [hec, header_end] = co_await read_header(stream, buffer, opts.max_header_bytes);
    if (!hec && header_end > opts.max_header_bytes) hec = bhttp::error::header_limit;
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);
    if (!hec) {
      std::string_view header(static_cast<const char*>(buffer.data().data()), header_end);
      auto lines = header.substr(header.find("\r\n") + 2);
      if (lines.find("\r\n ") != lines.npos || lines.find("\r\n\t") != lines.npos || lines.starts_with(' ') ||
          lines.starts_with('\t')) {
        auto res = refusal(bhttp::status::bad_request, "folded header lines (obs-fold) are not accepted");
        co_await write(stream, res, opts);
        co_return;
      }
      parser.eager(false);
      buffer.consume(parser.put(asio::buffer(header.data(), header.size()), hec));
    }
    if (!hec) {
      const auto& h = parser.get();
      if (auto r = check_request(h.base(), h.method(), h.version())) {
        auto res = refusal(r->status, r->reason);
        co_await write(stream, res, opts);
        co_return;
      }
      auto [bec, bn] = co_await bhttp::async_read(stream, buffer, parser, nothrow);
      hec = bec;
    }
    if (hec) {
      if (auto status = status_for_read_error(hec)) {
        auto res = refusal(*status, hec.message());
        co_await write(stream, res, opts);
      }
      co_return;
    }
    request req = parser.release();
    if (boost::beast::websocket::is_upgrade(req)) {
      if (const upgrade_handler* up = routes.find_upgrade(req.target())) {
        if (buffer.size() > 0) {  // RFC 6455 4.1: nothing may follow before the handshake's answer
          auto res =
              refusal(bhttp::status::bad_request, "data sent before the WebSocket handshake completed");
          co_await write(stream, res, opts);
          co_return;
        }
        upgrade_stream s = &stream;
        const std::string target(req.target());
        try {
          co_await (*up)(std::move(req), s, on_shutdown);
        } catch (const std::exception& e) {
          spdlog::error("http {}: upgraded connection failed: {}", target, e.what());
        }
        *on_shutdown = nullptr;  // what it captured is gone; shutdown closes the socket again
        co_return;
      }
    }
    if (const upgrade_handler* streamed = routes.find_stream(req)) {
      upgrade_stream s = &stream;
      const std::string target(req.target());
      try {
        co_await (*streamed)(std::move(req), s, on_shutdown);
      } catch (const std::exception& e) {
        spdlog::error("http {}: streamed answer failed: {}", target, e.what());
      }
      *on_shutdown = nullptr;
      co_return;
    }
    response res;
    if (const handler* h = routes.find(req.target())) {
      try {
        res = co_await (*h)(req, context);
      } catch (const std::exception& e) {
        spdlog::error("http {}: handler failed: {}", std::string(req.target()), e.what());
        res = make_response(req, bhttp::status::internal_server_error, "Internal server error");
      }
    } else {
      res = make_response(req, bhttp::status::not_found, "Not found: " + std::string(req.target()));
    }
    res.keep_alive(req.keep_alive() && res.keep_alive());
    co_await write(stream, res, opts, req.method() == bhttp::verb::head);
    *on_shutdown = nullptr;  // a handler's goodbye lasts until its answer is written
    if (!res.keep_alive() || !tcp.socket().is_open()) co_return;
  }
}

}  // namespace

asio::awaitable<void> serve_connection(std::shared_ptr<beast::tcp_stream> stream, const route_table& routes,
                                       listener_options opts, core::connection_tracker::ticket ticket,
                                       std::shared_ptr<shutdown_hook> on_shutdown) {
  (void)ticket;  // held for the connection's lifetime
  boost::system::error_code ignored;
  if (!opts.tls) {
    co_await serve_requests(*stream, routes, opts, on_shutdown);
    stream->socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
    co_return;
  }
  asio::ssl::stream<beast::tcp_stream&> tls(*stream, *opts.tls);  // the closer can still reach the socket
  stream->expires_after(opts.request_timeout);
  auto [ec] = co_await tls.async_handshake(asio::ssl::stream_base::server, nothrow);
  if (ec) co_return;
  co_await serve_requests(tls, routes, opts, on_shutdown);
  stream->expires_after(std::chrono::seconds(2));
  co_await tls.async_shutdown(nothrow);
}

}  // namespace ofs::http
