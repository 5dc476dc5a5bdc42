#pragma once
// Scratch databases for tests: a temporary directory (SQLite files) and a PostgreSQL
// database of its own on the server named by OFS_TEST_PG, each removed at destruction.
#include <filesystem>
#include <memory>
#include <string>

#include "server/storage/open_store.hpp"

namespace storage_test {

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

// The options that open a fresh database of this backend ("memory", "sqlite" or "postgres"),
// keeping what it needs alive; for postgres without OFS_TEST_PG, skipped() says why.
struct temp_backend {
  explicit temp_backend(const std::string& name);
  ofs::storage::store_options options;
  std::string skipped;  // non-empty: OFS_TEST_PG is not set
  std::unique_ptr<temp_dir> dir;
  std::unique_ptr<temp_pg_database> pg;
};

}  // namespace storage_test
