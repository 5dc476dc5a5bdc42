// Opening stores: URLs, migrations, and the one-line errors ofsd and ofsctl print.
#include <boost/asio/ip/tcp.hpp>
#include <chrono>
#include <fstream>

#include "schema/migrations.hpp"
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

using clock_type = std::chrono::steady_clock;

st::opened_store open_url(std::string url, std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  st::store_options o;
  o.url = std::move(url);
  o.connect_timeout = timeout;
  return run(st::open_store(o));
}

TEST_P(store, reopening_keeps_the_data_and_applies_migrations_once) {
  if (is_memory()) GTEST_SKIP() << "nothing persists";
  auto owner = account("juliet@example.test");
  ASSERT_TRUE(run(db().store_offline(owner, "<m/>", 10)).value());
  reopen();
  reopen();
  EXPECT_EQ(run(db().load_offline(owner)).value().size(), 1u);
  const auto known = static_cast<long long>(ofs::schema::sqlite_migrations().size());
  EXPECT_EQ(raw_scalar("SELECT count(*) FROM schema_version"), known);
  EXPECT_EQ(raw_scalar("SELECT max(version) FROM schema_version"),
            ofs::schema::sqlite_migrations().back().version);
}

TEST_P(store, a_database_newer_than_the_program_is_refused) {
  if (is_memory()) GTEST_SKIP() << "no schema";
  db_.reset();
  raw_scalar("INSERT INTO schema_version (version) VALUES (9999)");
  auto opened = run(st::open_store(options()));
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.code, st::storage_error::bad_schema);
  EXPECT_NE(opened.error.find("schema version 9999, newer than this program's"), std::string::npos)
      << opened.error;
}

TEST(open_store, sqlite_reports_a_file_it_cannot_create) {
  temp_dir dir;
  std::ofstream(dir.path / "file") << "not a directory";
  auto path = (dir.path / "file" / "ofs.db").string();
  auto opened = open_url("sqlite:" + path);
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.code, st::storage_error::unavailable);
  EXPECT_EQ(opened.error, "cannot open database " + path + ": unable to open database file");
}

TEST(open_store, sqlite_reports_a_file_that_is_not_a_database) {
  temp_dir dir;
  auto path = (dir.path / "ofs.db").string();
  std::ofstream(path) << std::string(4096, 'x');
  auto opened = open_url("sqlite:" + path);
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.error, "cannot open database " + path + ": file is not a database");
}

TEST(open_store, sqlite_in_memory) {
  auto opened = open_url("sqlite::memory:");
  ASSERT_TRUE(opened.db) << opened.error;
  EXPECT_TRUE(run(opened.db->create_account(make_jid("a@example.test"), {})).value());
  EXPECT_EQ(run(opened.db->list_accounts("")).value().size(), 1u);
}

// ofsd and ofsctl open the same file at once, even a fresh one, and both write.
TEST(open_store, two_sqlite_stores_share_one_file) {
  temp_dir dir;
  auto url = "sqlite:" + (dir.path / "ofs.db").string();
  asio::io_context ctx;
  auto first = asio::co_spawn(ctx, st::open_store(st::store_options{url}), asio::use_future);
  auto second = asio::co_spawn(ctx, st::open_store(st::store_options{url}), asio::use_future);
  ctx.run();
  auto a = first.get(), b = second.get();
  ASSERT_TRUE(a.db) << a.error;
  ASSERT_TRUE(b.db) << b.error;
  ctx.restart();
  std::atomic<int> ok = 0;
  for (int i = 0; i < 50; ++i) {
    auto* s = i % 2 ? a.db.get() : b.db.get();
    auto create = [s, i, &ok]() -> asio::awaitable<void> {
      auto r = co_await s->create_account(make_jid("u" + std::to_string(i) + "@example.test"), {});
      if (r && *r) ++ok;
    };
    asio::co_spawn(ctx, std::move(create), asio::detached);
  }
  ctx.run();
  EXPECT_EQ(ok, 50);
  EXPECT_EQ(run(a.db->list_accounts("")).value().size(), 50u);
}

TEST(open_store, memory_url) {
  auto opened = open_url("memory:");
  ASSERT_TRUE(opened.db);
  EXPECT_TRUE(run(opened.db->ping()));
}

TEST(open_store, unknown_schemes_are_refused_without_echoing_the_url) {
  auto opened = open_url("mysql://root:secret@db/ofs");
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.error, "unsupported database URL scheme \"mysql\": use sqlite:<file> or postgresql://...");
  EXPECT_FALSE(open_url("sqlite:").db);
}

TEST(open_store, postgres_reports_a_refused_connection_quickly) {
  auto start = clock_type::now();
  auto opened = open_url("postgresql://ofs@127.0.0.1:1/ofs", std::chrono::seconds(3));
  EXPECT_LT(clock_type::now() - start, std::chrono::seconds(3));
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.code, st::storage_error::unavailable);
  EXPECT_EQ(opened.error, "cannot connect to PostgreSQL at 127.0.0.1:1: connection refused");
  EXPECT_EQ(open_url("postgres://127.0.0.1:1/ofs").error, opened.error);
}

TEST(open_store, postgres_gives_up_after_the_connect_timeout) {
  // A listener that accepts (in the kernel's backlog) but never answers.
  asio::io_context ctx;
  asio::ip::tcp::acceptor silent(ctx, {asio::ip::address_v4::loopback(), 0});
  auto port = silent.local_endpoint().port();
  auto start = clock_type::now();
  auto opened = open_url("postgresql://ofs@127.0.0.1:" + std::to_string(port) + "/ofs?sslmode=disable",
                         std::chrono::milliseconds(300));
  auto took = clock_type::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(300));
  EXPECT_LT(took, std::chrono::seconds(2));
  EXPECT_EQ(opened.error, "cannot connect to PostgreSQL at 127.0.0.1:" + std::to_string(port) +
                              ": no answer within 300 ms");
}

TEST(open_store, postgres_reports_a_malformed_url) {
  auto opened = open_url("postgresql://localhost/ofs?no_such_option=1");
  EXPECT_FALSE(opened.db);
  EXPECT_EQ(opened.error.rfind("invalid PostgreSQL URL: ", 0), 0u) << opened.error;
}

// A connection the server drops fails one call with unavailable; the next reconnects.
TEST(open_store, postgres_replaces_a_broken_connection) {
  const char* admin = std::getenv("OFS_TEST_PG");
  if (!admin || !*admin) GTEST_SKIP() << "OFS_TEST_PG is not set";
  temp_pg_database database(admin);
  st::store_options o;
  o.url = database.url;
  o.pool_size = 1;
  auto opened = run(st::open_store(o));
  ASSERT_TRUE(opened.db) << opened.error;
  ASSERT_TRUE(run(opened.db->ping()));
  pg_admin(admin, "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity WHERE datname = '" +
                      database.name + "'");
  auto failed = run(opened.db->ping());
  ASSERT_FALSE(failed);
  EXPECT_EQ(failed.error(), st::storage_error::unavailable);
  EXPECT_TRUE(run(opened.db->ping()));
  EXPECT_TRUE(run(opened.db->list_accounts("")));
}

TEST(open_store, postgres_reports_a_missing_database) {
  const char* admin = std::getenv("OFS_TEST_PG");
  if (!admin || !*admin) GTEST_SKIP() << "OFS_TEST_PG is not set";
  auto opened = open_url(pg_url_with_dbname(admin, "ofs_no_such_database"));
  EXPECT_FALSE(opened.db);
  EXPECT_NE(opened.error.find(": database \"ofs_no_such_database\" does not exist"), std::string::npos)
      << opened.error;
}

}  // namespace
}  // namespace storage_test
