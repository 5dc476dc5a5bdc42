#include "server/app/control_socket.hpp"

#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

namespace ofs::app {
namespace asio = boost::asio;
namespace json = boost::json;
using local = asio::local::stream_protocol;

namespace {

constexpr std::size_t max_request_bytes = 64 * 1024;
constexpr auto request_timeout = std::chrono::seconds(30);

bool peer_allowed(local::socket& s) {
  ucred cred{};
  socklen_t size = sizeof cred;
  if (getsockopt(s.native_handle(), SOL_SOCKET, SO_PEERCRED, &cred, &size) != 0) return false;
  return cred.uid == 0 || cred.uid == geteuid();
}

json::object error_reply(std::string text) { return json::object{{"ok", false}, {"error", std::move(text)}}; }

asio::awaitable<void> serve(local::socket s, control_socket::handler handler) {
  const auto nothrow = asio::as_tuple(asio::use_awaitable);
  auto reply = [&](const json::object& o) -> asio::awaitable<void> {
    std::string line = json::serialize(o) + "\n";
    co_await asio::async_write(s, asio::buffer(line), nothrow);
  };
  const bool allowed = peer_allowed(s);
  asio::steady_timer deadline(s.get_executor(), request_timeout);  // a client that sends nothing
  deadline.async_wait([&s](boost::system::error_code e) {
    if (!e) s.close();
  });
  std::string buffer;
  for (;;) {
    auto [ec, n] =
        co_await asio::async_read_until(s, asio::dynamic_buffer(buffer, max_request_bytes), '\n', nothrow);
    if (ec) co_return;  // closed, too long or timed out
    if (!allowed) {     // answered after the request was read, so the client sees why
      const auto refused =
          error_reply("permission denied: only root and the server's user may administer it");
      co_await reply(refused);
      co_return;
    }
    json::object response;
    boost::system::error_code parse_error;
    json::value request = json::parse(std::string_view(buffer.data(), n - 1), parse_error);
    buffer.erase(0, n);
    if (parse_error || !request.is_object())
      response = error_reply("a request is one JSON object per line");
    else
      response = co_await handler(std::move(request.as_object()));
    co_await reply(response);
  }
}

}  // namespace

control_socket::control_socket(asio::any_io_executor ex, handler h) : acceptor_(ex), handler_(std::move(h)) {}

control_socket::~control_socket() { close(); }

std::string control_socket::open(const std::filesystem::path& path) {
  boost::system::error_code ec;
  if (std::filesystem::exists(path)) {
    // Another ofsd on the same data? Then refuse; a stale file from a crash goes.
    local::socket probe(acceptor_.get_executor());
    probe.connect(local::endpoint(path.string()), ec);
    if (!ec)
      return "control socket " + path.string() +
             " is in use: is another ofsd running on this data directory?";
    std::filesystem::remove(path);
  }
  const mode_t old_mask = ::umask(0117);  // created 0660
  acceptor_.open(local(), ec);
  if (!ec) acceptor_.bind(local::endpoint(path.string()), ec);
  ::umask(old_mask);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return "cannot listen on control socket " + path.string() + ": " + ec.message();
  path_ = path;
  return {};
}

void control_socket::start() { asio::co_spawn(acceptor_.get_executor(), accept_loop(), asio::detached); }

asio::awaitable<void> control_socket::accept_loop() {
  for (;;) {
    auto [ec, s] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor_.is_open()) co_return;
    if (ec) continue;  // e.g. too many open files: the next one may work
    asio::co_spawn(acceptor_.get_executor(), serve(std::move(s), handler_), asio::detached);
  }
}

void control_socket::close() {
  if (!acceptor_.is_open()) return;
  boost::system::error_code ec;
  acceptor_.close(ec);
  std::filesystem::remove(path_, ec);
}

}  // namespace ofs::app
