#pragma once
// The embedded default store: one SQLite connection, used only by one dedicated thread.
// Each method hops to that thread, runs its cached statements there and resumes the caller
// on the caller's own executor. Destroy it only after every call has finished.
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <type_traits>
#include <vector>

#include "server/storage/open_store.hpp"
#include "server/storage/sqlite_db.hpp"

namespace ofs::storage {

class sqlite_store final : public store {
public:
  // Opens or creates `path` (or ":memory:") and applies pending migrations.
  static boost::asio::awaitable<opened_store> open(std::string path);
  ~sqlite_store() override;

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
  sqlite_store() = default;
  // Runs fn() on the database thread; the caller resumes on its own executor. Not a
  // coroutine itself, so no closure is built inside the caller's co_await (GCC 12);
  // co_spawn keeps `work` alive until it has finished.
  template <class F>
  auto on_db_thread(F&& fn) {
    using r = std::invoke_result_t<F&>;
    auto work = [f = std::forward<F>(fn)]() mutable -> boost::asio::awaitable<r> { co_return f(); };
    return boost::asio::co_spawn(thread_, std::move(work), boost::asio::use_awaitable);
  }

  // The bodies, on the database thread.
  error_code migrate(const std::string& path, std::string& error);
  result<std::optional<std::int64_t>> account_id(const core::jid& j);
  result<void> insert_credentials(std::int64_t id, const std::vector<auth::scram_credentials>& creds);
  result<bool> do_create(const core::jid& j, const std::vector<auth::scram_credentials>& creds);
  result<bool> do_set_credentials(const core::jid& j, const std::vector<auth::scram_credentials>& creds);
  result<std::optional<std::vector<auth::scram_credentials>>> do_get_credentials(const core::jid& j);
  result<std::vector<core::jid>> do_list(const std::string& domain);
  result<roster> do_load_roster(const core::jid& owner);
  result<std::uint64_t> do_put_item(const core::jid& owner, const roster_item& item);
  result<std::uint64_t> do_remove_item(const core::jid& owner, const core::jid& contact);
  result<bool> do_store_offline(const core::jid& owner, const std::string& xml, std::size_t quota);
  result<std::vector<offline_message>> do_load_offline(const core::jid& owner);
  result<archive_page> do_query_archive(const core::jid& owner, const archive_query& q, bool room);
  result<std::optional<std::int64_t>> room_id(const core::jid& room);  // sqlite_muc.cpp

  // Archive appends come two per message: they queue here, and the database thread writes
  // all that queued meanwhile in one transaction (one commit for a burst, not one each).
  struct pending_append {
    core::jid owner;
    archived_message m;
    boost::asio::any_completion_handler<void(error_code)> done;
  };
  void queue_append(pending_append p);
  void write_appends();  // on the database thread
  result<void> insert_archived(const core::jid& owner, const archived_message& m, bool room);  // muc_archive

  std::mutex appends_mutex_;
  std::vector<pending_append> appends_;
  bool appends_scheduled_ = false;
  result<void> do_save_muc_room(const muc_room& room);  // sqlite_muc.cpp
  result<void> do_add_muc_history(const core::jid& room, const muc_message& m, std::size_t keep);
  result<std::vector<muc_room>> do_load_muc_rooms(const std::string& domain);

  boost::asio::thread_pool thread_{1};
  std::unique_ptr<sqlite_db> db_;  // touched on thread_ only
};

}  // namespace ofs::storage
