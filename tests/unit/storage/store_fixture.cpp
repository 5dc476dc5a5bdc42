#include "tests/unit/storage/store_fixture.hpp"

#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

namespace storage_test {

jid make_jid(std::string_view text) {
  auto j = jid::parse(text);
  EXPECT_TRUE(j) << text;
  return j ? *j : jid();
}

ofs::auth::scram_credentials make_creds(ofs::auth::scram_hash h, char seed) {
  ofs::auth::scram_credentials c;
  c.hash = h;
  c.salt = std::string("\0\x01salt\xff", 7) + seed;  // raw bytes: NUL and high bytes
  c.iterations = 4096 + static_cast<unsigned char>(seed);
  c.stored_key = std::string(h == ofs::auth::scram_hash::sha1 ? 20 : 32, seed);
  c.server_key = std::string(h == ofs::auth::scram_hash::sha1 ? 20 : 32, '\x80') + seed;
  return c;
}

void store::SetUp() {
  if (is_postgres()) {
    const char* url = std::getenv("OFS_TEST_PG");
    if (!url || !*url) GTEST_SKIP() << "OFS_TEST_PG is not set (source scripts/pg_temp.sh)";
    pg_ = std::make_unique<temp_pg_database>(url);
  } else if (GetParam() == "sqlite") {
    dir_ = std::make_unique<temp_dir>();
  }
  auto opened = run(st::open_store(options()));
  ASSERT_TRUE(opened.db) << opened.error;
  db_ = std::move(opened.db);
}

void store::TearDown() {
  db_.reset();  // before its database goes
  pg_.reset();
  dir_.reset();
}

jid store::account(std::string_view address) {
  auto j = make_jid(address);
  auto created = run(db().create_account(j, {}));
  EXPECT_TRUE(created && *created) << address;
  return j;
}

st::store_options store::options() const {
  st::store_options o;
  if (is_memory())
    o.url = "memory:";
  else if (is_postgres())
    o.url = pg_->url;
  else
    o.url = "sqlite:" + (dir_->path / "ofs.db").string();
  o.connect_timeout = std::chrono::seconds(5);
  return o;
}

void store::reopen() {
  db_.reset();
  auto opened = run(st::open_store(options()));
  ASSERT_TRUE(opened.db) << opened.error;
  db_ = std::move(opened.db);
}

long long store::raw_scalar(const std::string& sql) {
  long long out = -1;
  if (is_postgres()) {
    PGconn* c = PQconnectdb(pg_->url.c_str());
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1)
      out = std::atoll(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) == PGRES_COMMAND_OK)
      out = 0;
    else
      ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  } else if (dir_) {
    sqlite3* c = nullptr;
    sqlite3_open((dir_->path / "ofs.db").c_str(), &c);
    sqlite3_busy_timeout(c, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(c, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW)
        out = sqlite3_column_int64(s, 0);
      else if (rc == SQLITE_DONE)
        out = 0;
    }
    if (out < 0) ADD_FAILURE() << sql << ": " << sqlite3_errmsg(c);
    sqlite3_finalize(s);
    sqlite3_close(c);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(backend, store, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace storage_test
