#include "server/storage/open_store.hpp"

#include <fmt/format.h>

#include "server/storage/memory_store.hpp"
#include "server/storage/pg_store.hpp"
#include "server/storage/sqlite_store.hpp"

namespace ofs::storage {

boost::asio::awaitable<opened_store> open_store(store_options options) {
  std::string_view url = options.url;
  if (url.starts_with("postgresql://") || url.starts_with("postgres://"))
    co_return co_await pg_store::open(options.url, options.pool_size, options.connect_timeout);
  if (url.starts_with("sqlite:")) {
    url.remove_prefix(7);
    opened_store out;
    if (url.empty()) {
      out.code = storage_error::unavailable;
      out.error = "database URL \"sqlite:\" names no file";
      co_return out;
    }
    co_return co_await sqlite_store::open(std::string(url));
  }
  opened_store out;
  if (url == "memory:") {
    out.db = std::make_unique<memory_store>();
    co_return out;
  }
  // Print only the scheme: the rest may hold a password.
  auto scheme = url.substr(0, url.find(':'));
  out.code = storage_error::unavailable;
  out.error = fmt::format("unsupported database URL scheme \"{}\": use sqlite:<file> or postgresql://...", scheme);
  co_return out;
}

}  // namespace ofs::storage
