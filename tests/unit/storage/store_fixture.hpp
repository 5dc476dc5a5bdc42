#pragma once
// One storage test suite, run against every backend: memory, sqlite (a temp file) and
// postgres (a fresh database per test on the server named by OFS_TEST_PG; skipped if unset).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <filesystem>
#include <memory>
#include <string>

#include "server/storage/open_store.hpp"

namespace storage_test {

namespace asio = boost::asio;
namespace st = ofs::storage;
using ofs::core::jid;

// Runs one coroutine to completion on a fresh single-thread io_context.
template <class T>
T run(asio::awaitable<T> task) {
  asio::io_context ctx;
  auto done = asio::co_spawn(ctx, std::move(task), asio::use_future);
  ctx.run();
  return done.get();
}

jid make_jid(std::string_view text);  // fails the test on bad input
ofs::auth::scram_credentials make_creds(ofs::auth::scram_hash h, char seed);

// A scratch directory, removed at destruction.
struct temp_dir {
  temp_dir();
  ~temp_dir();
  std::filesystem::path path;
};

// A database of its own on the server named by OFS_TEST_PG, dropped at destruction.
struct temp_pg_database {
  explicit temp_pg_database(std::string admin_url);
  ~temp_pg_database();
  std::string admin_url, name, url;
};
std::string pg_url_with_dbname(const std::string& base, const std::string& dbname);
void pg_admin(const std::string& url, const std::string& sql);  // blocking; fails the test on error

class store : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override;
  void TearDown() override;

  bool is_memory() const { return GetParam() == "memory"; }
  bool is_postgres() const { return GetParam() == "postgres"; }
  st::store& db() { return *db_; }
  jid account(std::string_view address);  // creates it, without credentials
  st::store_options options() const;  // for this backend's database
  void reopen();                       // closes and opens the same database again
  // Runs SQL straight on the database (not for memory): one integer, or -1 on error.
  long long raw_scalar(const std::string& sql);

  std::unique_ptr<st::store> db_;
  std::unique_ptr<temp_dir> dir_;
  std::unique_ptr<temp_pg_database> pg_;
};

}  // namespace storage_test
