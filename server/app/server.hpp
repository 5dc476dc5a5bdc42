#pragma once
// The composition root: builds the store, the router, the listeners from one config, runs
// them on a thread pool and stops them gracefully. ofsd's main() and the integration tests
// both use it.
#include <boost/asio/ip/tcp.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/app/config.hpp"

namespace ofs::core {
class router;
}
namespace ofs::storage {
class store;
}

namespace ofs::app {

struct bound_port {
  std::string name;  // "http", "c2s", ...
  boost::asio::ip::tcp::endpoint at;
};

// Creates the data directory if needed and checks it takes writes; "" or an error line.
std::string prepare_data_dir(const std::filesystem::path& dir);

class server {
public:
  explicit server(config c);
  ~server();

  // Prepares the data directory, TLS identity and store, and binds every listener.
  // Returns "" or one line saying what is wrong.
  std::string start();
  std::vector<bound_port> ports() const;
  // Blocks until SIGINT/SIGTERM or stop(), then shuts down gracefully.
  void run();
  void stop();  // any thread

  core::router& router();
  storage::store& store();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace ofs::app
