#pragma once
// ofsctl's way into the running server: a Unix socket (mode 0660) whose peers must be root
// or the user ofsd runs as (checked with SO_PEERCRED on every connection, whatever the
// file's mode). One JSON object per line in, one per line out; never on the network.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/json/object.hpp>
#include <filesystem>
#include <functional>
#include <string>

namespace ofs::app {

class control_socket {
public:
  using handler = std::function<boost::asio::awaitable<boost::json::object>(boost::json::object request)>;
  control_socket(boost::asio::any_io_executor ex, handler h);
  ~control_socket();  // close()

  // Binds `path`, replacing a stale socket file (one that nothing answers on); an error
  // message, or "" when listening.
  std::string open(const std::filesystem::path& path);
  void start();
  void close();  // stops accepting and removes the file

private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::local::stream_protocol::acceptor acceptor_;
  handler handler_;
  std::filesystem::path path_;
};

}  // namespace ofs::app
