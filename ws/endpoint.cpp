// The coroutine half of the endpoint: the WebSocket handshake on either stream type and the
// session's life on it.
#include "ws/endpoint.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <type_traits>

#include "http/route_table.hpp"
#include "ws/ws_transport.hpp"

namespace ofs::ws {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

namespace {

// Beast's websocket::stream over the HTTP connection's stream (which outlives it).
template <class Next>
class beast_message_stream final : public message_stream {
public:
  explicit beast_message_stream(Next& next) : ws_(next) {}
  websocket::stream<Next&>& ws() { return ws_; }

  asio::awaitable<read_result> read() override {
    buffer_.clear();
    auto [ec, n] = co_await ws_.async_read(buffer_, nothrow);
    co_return read_result{ec, ws_.got_text()};
  }
  std::string_view message() const override {
    return {static_cast<const char*>(buffer_.cdata().data()), buffer_.size()};
  }
  asio::awaitable<boost::system::error_code> write(std::string_view message) override {
    auto [ec, n] = co_await ws_.async_write(asio::buffer(message), nothrow);
    co_return ec;
  }
  asio::awaitable<void> close(websocket::close_code code) override {
    const websocket::close_reason reason(code);
    co_await ws_.async_close(reason, nothrow);
  }
  void abort() override {
    boost::system::error_code ignored;
    beast::get_lowest_layer(ws_).socket().close(ignored);
  }

private:
  websocket::stream<Next&> ws_;
  beast::flat_buffer buffer_;
};

template <class Next>
asio::awaitable<void> serve_on(request req, Next* next, const endpoint* self,
                               std::shared_ptr<endpoint::shutdown_hook> on_shutdown) {
  auto& tcp = beast::get_lowest_layer(*next);
  auto peer = http::context_of(tcp.socket(), !std::is_same_v<Next, beast::tcp_stream>);
  connection_info info{peer.tls, peer.loopback, std::move(peer.remote)};

  if (auto refused = check_upgrade(req, info.loopback, self->config())) {
    spdlog::info("ws {}: upgrade refused: {}", info.remote, refused->reason);
    auto res = refuse(req, *refused);
    co_await beast::http::async_write(*next, res, nothrow);
    co_return;
  }

  auto stream = std::make_unique<beast_message_stream<Next>>(*next);
  auto& ws = stream->ws();
  const auto limits = self->session_options(info.tls, info.loopback).limits;
  tcp.expires_never();  // the websocket stream's own timeouts from here on
  ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::server));  // with pings
  websocket::permessage_deflate no_deflate;
  no_deflate.server_enable = false;
  ws.set_option(no_deflate);
  ws.read_message_max(limits.max_stanza_bytes);
  ws.set_option(websocket::stream_base::decorator([](websocket::response_type& res) {
    res.set(beast::http::field::sec_websocket_protocol, "xmpp");  // RFC 7395 3.2
    res.set(beast::http::field::server, "OFS");
  }));
  ws.text(true);
  auto [aec] = co_await ws.async_accept(req, nothrow);
  if (aec) co_return;

  if (const auto& uri = self->config().see_other_uri; !uri.empty()) {  // RFC 7395 3.6.1
    auto first = co_await stream->read();
    if (first.ec) co_return;
    std::string moved = "<close xmlns='urn:ietf:params:xml:ns:xmpp-framing' see-other-uri='";
    xml::append_escaped_attr(uri, moved);
    moved += "'/>";
    co_await stream->write(moved);
    co_await stream->close(websocket::close_code::normal);
    co_return;
  }

  auto ex = tcp.get_executor();
  auto transport =
      std::make_shared<ws_transport>(std::move(stream), ex, std::move(info), self->config().max_outbox_bytes);
  auto driver = xmpp::stream_driver::launch(
      transport, self->im(), self->session_options(transport->tls_active(), transport->remote_is_loopback()),
      core::connection_tracker::ticket());
  // At shutdown: a <system-shutdown/> stream error and <close/>, or at once.
  *on_shutdown = [weak_driver = std::weak_ptr<xmpp::stream_driver>(driver),
                  weak_transport =
                      std::weak_ptr<ws_transport>(transport)](core::connection_tracker::close_mode m) {
    if (m == core::connection_tracker::close_mode::graceful) {
      if (auto d = weak_driver.lock()) d->shut_down("system-shutdown");
    } else if (auto t = weak_transport.lock()) {
      t->close();
    }
  };
  co_await transport->run();
  (void)driver;  // held until the connection is done
}

}  // namespace

endpoint::endpoint(im::service& im, const xmpp::stream_driver_options& base, options opts)
    : im_(im), options_(std::move(opts)), logins_(base, options_.allow_plain_http_logins) {}

asio::awaitable<void> endpoint::serve(request req, beast::tcp_stream* stream,
                                      std::shared_ptr<shutdown_hook> on_shutdown) const {
  co_await serve_on(std::move(req), stream, this, std::move(on_shutdown));
}

asio::awaitable<void> endpoint::serve(request req, tls_stream* stream,
                                      std::shared_ptr<shutdown_hook> on_shutdown) const {
  co_await serve_on(std::move(req), stream, this, std::move(on_shutdown));
}

}  // namespace ofs::ws
