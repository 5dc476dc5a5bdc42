#include "server/ctl/control_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>

namespace ofs::ctl {
namespace asio = boost::asio;
namespace json = boost::json;
using local = asio::local::stream_protocol;

control_reply ask_server(const std::filesystem::path& path, const json::object& request) {
  control_reply out;
  asio::io_context io;
  local::socket socket(io);
  boost::system::error_code ec;
  socket.connect(local::endpoint(path.string()), ec);
  if (ec) {
    out.not_running =
        ec == asio::error::connection_refused || ec == boost::system::errc::no_such_file_or_directory;
    out.error = "cannot reach the running server at " + path.string() + ": " + ec.message() +
                (ec == asio::error::connection_refused || ec == boost::system::errc::no_such_file_or_directory
                     ? " (is ofsd running with this configuration?)"
                     : "");
    return out;
  }
  std::string line = json::serialize(request) + "\n", answer;
  asio::async_write(socket, asio::buffer(line), [&](boost::system::error_code e, std::size_t) {
    if (e) return void(ec = e);
    asio::async_read_until(socket, asio::dynamic_buffer(answer), '\n',
                           [&](boost::system::error_code e2, std::size_t) { ec = e2; });
  });
  io.run_for(std::chrono::seconds(15));
  if (!io.stopped()) return {{}, "the server did not answer within 15 s"};
  if (ec) return {{}, "the server closed the connection: " + ec.message()};
  auto value = json::parse(answer, ec);
  if (ec || !value.is_object()) return {{}, "the server's answer is not JSON"};
  out.value = std::move(value.as_object());
  if (const auto* ok = out.value.if_contains("ok"); !ok || !ok->is_bool() || !ok->as_bool()) {
    const auto* why = out.value.if_contains("error");
    out.error = why && why->is_string() ? std::string(why->as_string()) : "the server refused";
  }
  return out;
}

}  // namespace ofs::ctl
