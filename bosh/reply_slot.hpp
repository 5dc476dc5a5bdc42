#pragma once
// One HTTP request waiting for its BOSH answer: the HTTP connection's coroutine waits on the
// slot, the session answers it from its own strand (a thread-safe channel between the two).
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/system/error_code.hpp>
#include <memory>
#include <string>
#include <tuple>

namespace ofs::bosh {

class reply_slot {
public:
  explicit reply_slot(boost::asio::any_io_executor ex) : channel_(ex, 1) {}
  // The first of these wins; later ones do nothing. Any thread.
  void fulfil(std::string body) { channel_.try_send(boost::system::error_code(), std::move(body)); }
  void abandon() { channel_.try_send(boost::asio::error::operation_aborted, std::string()); }
  // The answer, or operation_aborted if the session (or the server) gave up on the request.
  boost::asio::awaitable<std::tuple<boost::system::error_code, std::string>> wait();

private:
  boost::asio::experimental::concurrent_channel<void(boost::system::error_code, std::string)> channel_;
};

// The session's end of a slot: answered at most once; dropped unanswered, it abandons the
// request, so no HTTP connection waits for a session that is gone.
class reply_handle {
public:
  reply_handle() = default;
  explicit reply_handle(std::shared_ptr<reply_slot> slot) : slot_(std::move(slot)) {}
  reply_handle(reply_handle&&) noexcept = default;
  reply_handle& operator=(reply_handle&& o) noexcept {
    if (this != &o) {
      abandon();
      slot_ = std::move(o.slot_);
    }
    return *this;
  }
  ~reply_handle() { abandon(); }

  void answer(std::string body) {
    if (auto s = std::move(slot_)) s->fulfil(std::move(body));
  }
  void abandon() {
    if (auto s = std::move(slot_)) s->abandon();
  }

private:
  std::shared_ptr<reply_slot> slot_;
};

}  // namespace ofs::bosh
