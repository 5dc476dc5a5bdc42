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

temp_dir::temp_dir() {
  auto pattern = (std::filesystem::temp_directory_path() / "ofs-storage-test.XXXXXX").string();
  if (!::mkdtemp(pattern.data())) ADD_FAILURE() << "mkdtemp failed";
  path = pattern;
}

temp_dir::~temp_dir() {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string pg_url_with_dbname(const std::string& base, const std::string& dbname) {
  auto encode = [](std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
      if (std::isalnum(c) || c == '-' || c == '_' || c == '.') {
        out += static_cast<char>(c);
      } else {
        char buf[4];
        std::snprintf(buf, sizeof buf, "%%%02X", c);
        out += buf;
      }
    }
    return out;
  };
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(base.c_str(), &error);
  if (!options) {
    ADD_FAILURE() << "OFS_TEST_PG: " << (error ? error : "?");
    PQfreemem(error);
    return {};
  }
  std::string url = "postgresql:///" + encode(dbname);
  char sep = '?';
  for (auto* o = options; o->keyword; ++o) {
    if (!o->val || !*o->val || std::string_view(o->keyword) == "dbname") continue;
    url += sep + std::string(o->keyword) + "=" + encode(o->val);
    sep = '&';
  }
  PQconninfoFree(options);
  return url;
}

namespace {
std::string try_pg_admin(const std::string& url, const std::string& sql) {  // "" or the error
  std::string error;
  PGconn* c = PQconnectdb(url.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    error = "cannot connect to " + url + ": " + PQerrorMessage(c);
  } else {
    PGresult* r = PQexec(c, sql.c_str());
    auto status = PQresultStatus(r);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) error = sql + ": " + PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}
}  // namespace

void pg_admin(const std::string& url, const std::string& sql) {
  if (auto error = try_pg_admin(url, sql); !error.empty()) ADD_FAILURE() << error;
}

temp_pg_database::temp_pg_database(std::string admin) : admin_url(std::move(admin)) {
  std::random_device rd;
  name = "ofs_test_" + std::to_string(::getpid()) + "_" + std::to_string(rd() % 1000000000);
  // FILE_COPY (PostgreSQL 15) is twice as fast for an empty template as the default.
  if (!try_pg_admin(admin_url, "CREATE DATABASE " + name + " STRATEGY FILE_COPY").empty())
    pg_admin(admin_url, "CREATE DATABASE " + name);
  url = pg_url_with_dbname(admin_url, name);
}

temp_pg_database::~temp_pg_database() { pg_admin(admin_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)"); }

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
  if (is_memory()) o.url = "memory:";
  else if (is_postgres()) o.url = pg_->url;
  else o.url = "sqlite:" + (dir_->path / "ofs.db").string();
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
    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) out = std::atoll(PQgetvalue(r, 0, 0));
    else if (PQresultStatus(r) == PGRES_COMMAND_OK) out = 0;
    else ADD_FAILURE() << sql << ": " << PQresultErrorMessage(r);
    PQclear(r);
    PQfinish(c);
  } else if (dir_) {
    sqlite3* c = nullptr;
    sqlite3_open((dir_->path / "ofs.db").c_str(), &c);
    sqlite3_busy_timeout(c, 5000);
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(c, sql.c_str(), -1, &s, nullptr) == SQLITE_OK) {
      int rc = sqlite3_step(s);
      if (rc == SQLITE_ROW) out = sqlite3_column_int64(s, 0);
      else if (rc == SQLITE_DONE) out = 0;
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
