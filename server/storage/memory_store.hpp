#pragma once
// An in-memory store for unit tests of other modules. Thread-safe: one mutex guards the maps
// for a few lines per call; no method suspends, so nothing is held across a co_await.
#include <deque>
#include <map>
#include <mutex>
#include <utility>

#include "server/storage/store.hpp"

namespace ofs::storage {

class memory_store final : public store {
public:
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
  struct account {
    core::jid address;
    std::vector<auth::scram_credentials> creds;
    std::uint64_t roster_version = 0;
    std::map<std::string, roster_item> roster;  // by contact
    std::deque<offline_message> offline;
    std::map<std::string, std::string> private_data;
    std::map<std::int64_t, archived_message> archive;                   // by seq
    std::map<std::pair<std::string, std::string>, xcap_document> xcap;  // by (auid, name)
  };
  using key = std::pair<std::string, std::string>;  // (domain, node): the SQL stores' order
  static key key_of(const core::jid& j) { return {j.domain(), j.node()}; }
  account* find(const core::jid& j);  // with mutex_ held

  std::mutex mutex_;
  std::map<key, account> accounts_;
  std::int64_t last_offline_id_ = 0;
  std::map<key, muc_room> muc_rooms_;
  std::map<key, std::map<std::int64_t, archived_message>> muc_archives_;  // by room, then seq
  std::map<std::string, std::string> muc_secrets_;                        // by service domain
};

}  // namespace ofs::storage
