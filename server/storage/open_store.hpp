#pragma once
// Opens the store named by a URL, migrating its schema:
//   "sqlite:<path>"        the embedded default; "sqlite::memory:" for a private database
//   "postgresql://..."     or "postgres://...": any libpq connection URL
//   "memory:"              memory_store, for tests
// On failure the result holds no store and one human-readable line for the operator.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "server/storage/store.hpp"

namespace ofs::storage {

struct store_options {
  std::string url = "sqlite:var/ofs.db";
  std::size_t pool_size = 4;                              // PostgreSQL connections
  std::chrono::milliseconds connect_timeout{5000};        // each PostgreSQL connect
};

struct opened_store {
  std::unique_ptr<store> db;  // null on failure
  error_code code;            // storage_error::unavailable, bad_schema, ...
  std::string error;          // e.g. "cannot open database var/ofs.db: unable to open database file"
};

// GCC 12: name the options before the co_await, never `co_await open_store({...})`.
boost::asio::awaitable<opened_store> open_store(store_options options);

}  // namespace ofs::storage
