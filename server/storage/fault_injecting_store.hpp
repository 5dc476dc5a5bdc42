#pragma once
// A store that hands every call to another one, except the calls it was told to fail or to
// hold: for tests of what the layers above do when the database fails or is slow. Failed
// calls never reach the inner store. Thread-safe; switches may be flipped at any time.
#include <array>
#include <boost/asio/steady_timer.hpp>
#include <cstddef>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "server/storage/store.hpp"

namespace ofs::storage {

class fault_injecting_store final : public store {
public:
  enum class op : std::size_t {
    create_account,
    set_credentials,
    remove_account,
    get_credentials,
    list_accounts,
    load_roster,
    put_roster_item,
    remove_roster_item,
    store_offline,
    load_offline,
    delete_offline,
    get_private,
    put_private,
    append_archive,
    query_archive,
    expire_archive,
    ping,
  };
  static constexpr std::size_t op_count = static_cast<std::size_t>(op::ping) + 1;
  static constexpr std::size_t forever = std::numeric_limits<std::size_t>::max();

  explicit fault_injecting_store(store& inner) : inner_(inner) {}

  // The next `times` calls of o fail with storage_error::unavailable.
  void fail(op o, std::size_t times = forever);
  void fail_all();  // every method, until heal()
  void heal();      // nothing fails any more
  // From now on, calls of o about `owner` (any owner if empty) wait until release().
  void hold(op o, core::jid owner = {});
  void release();                    // the held calls go on, and nothing is held any more
  std::size_t calls(op o) const;     // so far, failed or not
  std::size_t failures(op o) const;  // so far
  std::size_t waiting() const;       // held right now

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
  struct hold_rule {
    op what;
    std::string owner;  // bare JID; "" for any
  };
  // Counts the call, waits while it is held, then says whether it fails.
  boost::asio::awaitable<error_code> enter(op o, core::jid owner);

  store& inner_;
  mutable std::mutex mutex_;
  std::array<std::size_t, op_count> fail_left_{}, calls_{}, failures_{};
  std::vector<hold_rule> holds_;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiting_;
};

}  // namespace ofs::storage
