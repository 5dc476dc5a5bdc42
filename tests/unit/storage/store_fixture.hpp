#pragma once
// One storage test suite, run against every backend: memory, sqlite (a temp file) and
// postgres (a fresh database per test on the server named by OFS_TEST_PG; skipped if unset).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <filesystem>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "server/storage/open_store.hpp"
#include "tests/unit/storage/temp_database.hpp"

namespace storage_test {

namespace asio = boost::asio;
namespace st = ofs::storage;
using ofs::core::jid;

// Runs one coroutine to completion on a fresh single-thread io_context; throws (failing the
// test) if it has not finished within 30 s.
template <class T>
T run(asio::awaitable<T> task) {
  asio::io_context ctx;
  auto done = asio::co_spawn(ctx, std::move(task), asio::use_future);
  ctx.run_for(std::chrono::seconds(30));
  if (done.wait_for(std::chrono::seconds(0)) != std::future_status::ready)
    throw std::runtime_error("a store call did not finish within 30 s");
  return done.get();
}

jid make_jid(std::string_view text);  // fails the test on bad input
ofs::auth::scram_credentials make_creds(ofs::auth::scram_hash h, char seed);

class store : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override;
  void TearDown() override;

  bool is_memory() const { return GetParam() == "memory"; }
  bool is_postgres() const { return GetParam() == "postgres"; }
  st::store& db() { return *db_; }
  jid account(std::string_view address);  // creates it, without credentials
  st::store_options options() const;      // for this backend's database
  void reopen();                          // closes and opens the same database again
  // Runs SQL straight on the database (not for memory): one integer, or -1 on error.
  long long raw_scalar(const std::string& sql);

  std::unique_ptr<st::store> db_;
  std::unique_ptr<temp_dir> dir_;
  std::unique_ptr<temp_pg_database> pg_;
};

// The archive tests' view of a page: the sequence numbers it holds, in order.
using v = std::vector<std::int64_t>;
inline v seqs(const st::archive_page& p) {
  v out;
  for (const auto& m : p.items) out.push_back(m.seq);
  return out;
}

}  // namespace storage_test
