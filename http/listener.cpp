#include "http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace ofs::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

// What a bad request gets: a status with a body, then the connection is closed.
std::optional<bhttp::status> status_for_read_error(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit) return bhttp::status::payload_too_large;
  if (ec == bhttp::error::header_limit) return bhttp::status::request_header_fields_too_large;
  if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message) return std::nullopt;
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category())
    return bhttp::status::bad_request;  // not HTTP
  return std::nullopt;                  // the peer went away or timed out: nobody to answer
}

asio::awaitable<void> serve(std::shared_ptr<beast::tcp_stream> stream, const route_table& routes,
                            listener_options opts, core::connection_tracker::ticket ticket) {
  (void)ticket;  // held for the connection's lifetime
  beast::flat_buffer buffer;
  for (;;) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
    parser.body_limit(opts.max_body_bytes);
    stream->expires_after(opts.timeout);
    auto [ec, n] = co_await bhttp::async_read(*stream, buffer, parser, nothrow);
    if (ec) {
      if (auto status = status_for_read_error(ec)) {
        request bare;
        bare.version(11);
        bare.keep_alive(false);
        response res =
            make_response(bare, *status, std::string(bhttp::obsolete_reason(*status)) + ": " + ec.message());
        res.prepare_payload();
        co_await bhttp::async_write(*stream, res, nothrow);
      }
      break;
    }
    request req = parser.release();
    response res;
    if (const handler* h = routes.find(req.target())) {
      try {
        res = co_await (*h)(req);
      } catch (const std::exception& e) {
        spdlog::error("http {}: handler failed: {}", std::string(req.target()), e.what());
        res = make_response(req, bhttp::status::internal_server_error, "Internal server error");
      }
    } else {
      res = make_response(req, bhttp::status::not_found, "Not found: " + std::string(req.target()));
    }
    res.set(bhttp::field::server, "OFS");
    res.keep_alive(req.keep_alive() && res.keep_alive());
    res.prepare_payload();
    stream->expires_after(opts.timeout);
    auto [wec, wn] = co_await bhttp::async_write(*stream, res, nothrow);
    if (wec || !res.keep_alive()) break;
  }
  boost::system::error_code ignored;
  stream->socket().shutdown(tcp::socket::shutdown_send, ignored);
}

}  // namespace

listener::listener(asio::any_io_executor ex, const route_table& routes, listener_options opts)
    : routes_(routes),
      options_(opts),
      port_(std::make_unique<core::tcp_listener>(
          std::move(ex), "http", opts.max_connections,
          [this](tcp::socket s, core::connection_tracker& t) { on_accept(std::move(s), t); },
          [](tcp::socket& socket) {
            static constexpr std::string_view busy =
                "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 32\r\n"
                "Connection: close\r\n\r\nToo many connections, try later\n";
            boost::system::error_code ignored;
            socket.non_blocking(true, ignored);  // small: fits the socket buffer, never waits
            socket.write_some(asio::buffer(busy), ignored);
          })) {}

listener::~listener() = default;

void listener::on_accept(tcp::socket socket, core::connection_tracker& tracker) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  // HTTP has no goodbye of its own: both modes close (an answer being written is cut).
  auto ticket =
      tracker.track([weak = std::weak_ptr<beast::tcp_stream>(stream)](core::connection_tracker::close_mode) {
        if (auto s = weak.lock())
          asio::post(s->get_executor(), [weak] {
            if (auto s = weak.lock()) s->close();
          });
      });
  auto ex = stream->get_executor();
  asio::co_spawn(ex, serve(std::move(stream), routes_, options_, std::move(ticket)),
                 [](std::exception_ptr e) {
                   try {
                     if (e) std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     spdlog::error("http: connection failed: {}", x.what());
                   }
                 });
}

}  // namespace ofs::http
