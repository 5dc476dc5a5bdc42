#include "server/xmpp/transport.hpp"

#include <atomic>
#include <cstdio>

namespace ofs::xmpp {

std::uint64_t transport::next_serial() {
  static std::atomic<std::uint64_t> last{0};
  return last.fetch_add(1, std::memory_order_relaxed) + 1;
}

std::string transport::connection_id() const {
  const std::string_view k = kind();
  const std::string_view prefix = k == "tcp" ? "c2s" : k == "websocket" ? "ws" : k;
  char hex[17];
  const int n = std::snprintf(hex, sizeof hex, "%llx", static_cast<unsigned long long>(serial_));
  return std::string(prefix) + "-" + std::string(hex, static_cast<std::size_t>(n));
}

}  // namespace ofs::xmpp
