#pragma once
// What a client session needs around it in a unit test: one io_context, a router and IM
// layer on a memory store, a connection tracker; and a bounded way to run until something.
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <chrono>
#include <functional>

#include "server/core/connection_tracker.hpp"
#include "server/im/service.hpp"
#include "server/storage/memory_store.hpp"

namespace ofs::xmpp::test {

class session_fixture : public ::testing::Test {
protected:
  // Runs handlers until done() or the limit; false on the limit.
  bool run_until(const std::function<bool()>& done,
                 std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!done()) {
      if (std::chrono::steady_clock::now() >= deadline) return false;
      io.run_one_for(std::chrono::milliseconds(10));
    }
    return true;
  }

  boost::asio::io_context io;
  storage::memory_store store;
  core::router router{{"example.com"}};
  im::service svc{router, store, io.get_executor(), {}};
  core::connection_tracker tracker;
};

}  // namespace ofs::xmpp::test
