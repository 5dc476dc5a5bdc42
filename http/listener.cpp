#include "http/listener.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

namespace ofs::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

listener::listener(asio::any_io_executor ex, std::string name, const route_table& routes,
                   listener_options opts)
    : routes_(routes),
      options_(std::make_shared<const listener_options>(opts)),
      port_(std::make_unique<core::tcp_listener>(
          std::move(ex), std::move(name), opts.max_connections,
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

void listener::update(listener_options opts) {
  const unsigned max = opts.max_connections;
  options_.store(std::make_shared<const listener_options>(std::move(opts)));
  port_->set_max_connections(max);
}

void listener::on_accept(tcp::socket socket, core::connection_tracker& tracker) {
  auto stream = std::make_shared<beast::tcp_stream>(std::move(socket));
  auto on_shutdown = std::make_shared<shutdown_hook>();
  // HTTP has no goodbye of its own: both modes close (an answer being written is cut); an
  // upgraded connection (WebSocket) may have set its own goodbye.
  auto ticket = tracker.track(
      [weak = std::weak_ptr<beast::tcp_stream>(stream),
       weak_hook = std::weak_ptr<shutdown_hook>(on_shutdown)](core::connection_tracker::close_mode mode) {
        if (auto s = weak.lock())
          asio::post(s->get_executor(), [weak, weak_hook, mode] {
            auto hook = weak_hook.lock();
            if (hook && *hook) return (*hook)(mode);
            if (auto s = weak.lock()) s->close();
          });
      });
  auto ex = stream->get_executor();
  asio::co_spawn(ex,
                 serve_connection(std::move(stream), routes_, *options_.load(), std::move(ticket),
                                  std::move(on_shutdown)),
                 [](std::exception_ptr e) {
                   try {
                     if (e) std::rethrow_exception(e);
                   } catch (const std::exception& x) {
                     spdlog::error("http: connection failed: {}", x.what());
                   }
                 });
}

}  // namespace ofs::http
