#pragma once
// The PostgreSQL store: a pool of libpq connections driven asynchronously on one dedicated
// I/O thread. Each method hops there, borrows a connection and resumes the caller on its
// own executor; many callers share the thread while their queries run in the server.
// A lost connection fails its call with unavailable and is replaced on the next one.
// Destroy it only after every call has finished.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "server/storage/calls_in_flight.hpp"
#include "server/storage/open_store.hpp"
#include "server/storage/pg_pool.hpp"

namespace ofs::storage {

class pg_store final : public store {
public:
  // Connects one connection (more on demand, up to pool_size) and applies pending migrations.
  static boost::asio::awaitable<opened_store> open(std::string url, std::size_t pool_size,
                                                   std::chrono::milliseconds connect_timeout);
  ~pg_store() override;
  void close(std::chrono::steady_clock::time_point deadline) override;

  task<bool> create_account(core::jid account, std::vector<auth::scram_credentials> creds) override;
  task<bool> set_credentials(core::jid account, std::vector<auth::scram_credentials> creds) override;
  task<bool> remove_account(core::jid account) override;
  task<std::optional<std::vector<auth::scram_credentials>>> get_credentials(core::jid account) override;
  task<std::vector<core::jid>> list_accounts(std::string domain) override;

  task<roster> load_roster(core::jid owner) override;
  task<std::uint64_t> put_roster_item(core::jid owner, roster_item item) override;
  task<std::uint64_t> remove_roster_item(core::jid owner, core::jid contact) override;

  task<bool> store_offline(core::jid owner, std::string xml, std::size_t quota) override;
  task<std::vector<offline_message>> load_offline(core::jid owner) override;
  task<void> delete_offline(core::jid owner, std::int64_t up_to) override;

  task<std::optional<std::string>> get_private(core::jid owner, std::string key) override;
  task<void> put_private(core::jid owner, std::string key, std::string value) override;

  task<void> append_archive(core::jid owner, archived_message m) override;
  task<archive_page> query_archive(core::jid owner, archive_query q) override;
  task<std::uint64_t> expire_archive(std::int64_t before) override;
  task<std::optional<xcap_document>> get_xcap_document(core::jid owner, std::string auid,
                                                       std::string name) override;
  task<void> put_xcap_document(core::jid owner, xcap_document doc) override;
  task<bool> delete_xcap_document(core::jid owner, std::string auid, std::string name) override;
  task<std::vector<xcap_document>> list_xcap_documents(core::jid owner) override;
  task<void> save_muc_room(muc_room room) override;
  task<void> add_muc_history(core::jid room, muc_message m, std::size_t keep) override;
  task<bool> remove_muc_room(core::jid room) override;
  task<std::vector<muc_room>> load_muc_rooms(std::string domain) override;
  task<void> append_muc_archive(core::jid room, std::vector<archived_message> batch) override;
  task<archive_page> query_muc_archive(core::jid room, archive_query q) override;
  task<std::string> muc_service_secret(std::string domain, std::string candidate) override;

  task<void> ping() override;

private:
  pg_store(std::string url, std::size_t pool_size, std::chrono::milliseconds timeout);
  // On the I/O thread: the first connection and the migrations; an error line on failure.
  boost::asio::awaitable<std::pair<error_code, std::string>> start();

  // Runs body(connection, args...) on the I/O thread with a pooled connection, inside
  // BEGIN/COMMIT for in_transaction (ROLLBACK when body fails). The caller resumes on its
  // own executor. Arguments are copied into the coroutine: nothing refers to the caller.
  template <class T, class... Args>
  task<T> with_connection(task<T> (*body)(pg_connection&, Args...), Args... args);
  template <class T, class... Args>
  task<T> in_transaction(task<T> (*body)(pg_connection&, Args...), Args... args);
  template <class T>
  auto on_io_thread(task<T> work) {  // not a coroutine: no temporaries in a co_await
    return boost::asio::co_spawn(thread_, counted(&calls_, std::move(work)), boost::asio::use_awaitable);
  }
  template <class T>
  static task<T> counted(calls_in_flight* calls, task<T> work) {
    calls_in_flight::guard in_flight(*calls);
    co_return co_await std::move(work);
  }

  calls_in_flight calls_;
  std::optional<pg_pool> pool_;  // touched on thread_ only
  boost::asio::thread_pool thread_{1};
};

template <class T, class... Args>
task<T> pg_store::with_connection(task<T> (*body)(pg_connection&, Args...), Args... args) {
  auto lease = co_await pool_->acquire();
  if (!lease) co_return detail::failure(lease.error());
  co_return co_await body(**lease, std::move(args)...);
}

template <class T, class... Args>
task<T> pg_store::in_transaction(task<T> (*body)(pg_connection&, Args...), Args... args) {
  auto lease = co_await pool_->acquire();
  if (!lease) co_return detail::failure(lease.error());
  pg_connection& c = **lease;
  if (auto begun = co_await c.query("BEGIN"); !begun) co_return detail::failure(begun.error());
  auto r = co_await body(c, std::move(args)...);
  co_return co_await commit_or_rollback(c, std::move(r));
}

}  // namespace ofs::storage
