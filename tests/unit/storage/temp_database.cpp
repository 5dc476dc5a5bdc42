#include "tests/unit/storage/temp_database.hpp"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <cstdlib>
#include <random>

namespace storage_test {

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

temp_pg_database::~temp_pg_database() {
  pg_admin(admin_url, "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
}

temp_backend::temp_backend(const std::string& name) {
  options.connect_timeout = std::chrono::seconds(5);
  if (name == "memory") {
    options.url = "memory:";
  } else if (name == "sqlite") {
    dir = std::make_unique<temp_dir>();
    options.url = "sqlite:" + (dir->path / "ofs.db").string();
  } else {
    const char* url = std::getenv("OFS_TEST_PG");
    if (!url || !*url) {
      skipped = "OFS_TEST_PG is not set (source scripts/pg_temp.sh)";
      return;
    }
    pg = std::make_unique<temp_pg_database>(url);
    options.url = pg->url;
  }
}

}  // namespace storage_test
