#pragma once
// Writes in flight per account, so that a read can wait for the writes before it: a client
// that queries its archive right after a message arrived finds the message there, although
// the archive write runs beside delivery. Thread-safe.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace ofs::im {

class pending_writes {
public:
  void started(const std::string& owner);
  void finished(const std::string& owner);
  // Returns once no write of owner started before this call is in flight, or after `limit`
  // (a write that hangs must not hang the reader too).
  boost::asio::awaitable<void> settled(std::string owner, std::chrono::milliseconds limit);

private:
  struct entry {
    std::size_t count = 0;
    std::vector<std::shared_ptr<boost::asio::steady_timer>> waiters;
  };
  std::mutex mutex_;
  std::unordered_map<std::string, entry> writing_;
};

}  // namespace ofs::im
