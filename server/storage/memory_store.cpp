#include "server/storage/memory_store.hpp"

#include <algorithm>
#include <set>

#include "server/storage/archive_paging.hpp"
#include "server/storage/convert.hpp"

namespace ofs::storage {

memory_store::account* memory_store::find(const core::jid& j) {
  auto it = accounts_.find(key_of(j));
  return it == accounts_.end() ? nullptr : &it->second;
}

task<bool> memory_store::create_account(core::jid account, std::vector<auth::scram_credentials> creds) {
  auto bare = account.bare();
  std::lock_guard lock(mutex_);
  auto [it, inserted] = accounts_.try_emplace(key_of(bare));
  if (inserted) {
    it->second.address = bare;
    it->second.creds = detail::unique_credentials(std::move(creds));
  }
  co_return inserted;
}

task<bool> memory_store::set_credentials(core::jid account, std::vector<auth::scram_credentials> creds) {
  std::lock_guard lock(mutex_);
  auto* a = find(account);
  if (a) a->creds = detail::unique_credentials(std::move(creds));
  co_return a != nullptr;
}

task<bool> memory_store::remove_account(core::jid account) {
  std::lock_guard lock(mutex_);
  co_return accounts_.erase(key_of(account)) > 0;
}

task<std::optional<std::vector<auth::scram_credentials>>> memory_store::get_credentials(core::jid account) {
  std::optional<std::vector<auth::scram_credentials>> out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(account)) out = a->creds;
  co_return out;
}

task<std::vector<core::jid>> memory_store::list_accounts(std::string domain) {
  std::vector<core::jid> out;
  std::lock_guard lock(mutex_);
  for (auto& [k, a] : accounts_)
    if (domain.empty() || k.first == domain) out.push_back(a.address);
  co_return out;
}

task<roster> memory_store::load_roster(core::jid owner) {
  roster out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner)) {
    out.version = a->roster_version;
    for (auto& [contact, item] : a->roster) out.items.push_back(item);
  }
  co_return out;
}

task<std::uint64_t> memory_store::put_roster_item(core::jid owner, roster_item item) {
  if (item.sub == subscription::remove) co_return co_await remove_roster_item(owner, item.contact);
  item.contact = item.contact.bare();
  item.groups = detail::unique_groups(std::move(item.groups));
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return storage_error::no_account;
  auto contact = item.contact.str();
  a->roster.insert_or_assign(std::move(contact), std::move(item));
  co_return ++a->roster_version;
}

task<std::uint64_t> memory_store::remove_roster_item(core::jid owner, core::jid contact) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return std::uint64_t{0};
  if (a->roster.erase(contact.bare().str()) > 0) ++a->roster_version;
  co_return a->roster_version;
}

task<bool> memory_store::store_offline(core::jid owner, std::string xml, std::size_t quota) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return storage_error::no_account;
  if (a->offline.size() >= quota) co_return false;
  a->offline.push_back({++last_offline_id_, std::move(xml)});
  co_return true;
}

task<std::vector<offline_message>> memory_store::load_offline(core::jid owner) {
  std::vector<offline_message> out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner)) out.assign(a->offline.begin(), a->offline.end());
  co_return out;
}

task<void> memory_store::delete_offline(core::jid owner, std::int64_t up_to) {
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner))
    while (!a->offline.empty() && a->offline.front().id <= up_to) a->offline.pop_front();
  co_return result<void>{};
}

task<std::optional<std::string>> memory_store::get_private(core::jid owner, std::string key) {
  std::optional<std::string> out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner))
    if (auto it = a->private_data.find(key); it != a->private_data.end()) out = it->second;
  co_return out;
}

task<void> memory_store::put_private(core::jid owner, std::string key, std::string value) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return storage_error::no_account;
  a->private_data.insert_or_assign(std::move(key), std::move(value));
  co_return result<void>{};
}

task<void> memory_store::append_archive(core::jid owner, archived_message m) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return storage_error::no_account;
  if (a->archive.contains(m.seq)) co_return storage_error::failed;  // as the SQL primary keys
  const auto seq = m.seq;
  a->archive.emplace(seq, std::move(m));
  co_return result<void>{};
}

namespace {

// One archive's page, the users' or a room's.
archive_page page_of(const std::map<std::int64_t, archived_message>& archive, const archive_query& q) {
  archive_page page;
  for (const auto& [seq, id] : q.must_exist)
    if (auto it = archive.find(seq); it == archive.end() || it->second.id != id) page.missing_ref = true;
  if (page.missing_ref) return page;
  auto matches = [&](const archived_message& m) {
    return q.with.empty() ||
           (m.with == q.with && (q.with_resource.empty() || m.with_resource == q.with_resource));
  };
  const auto b = detail::bounds_of(q);
  std::vector<archived_message> rows;
  for (auto it = archive.lower_bound(q.min_seq); it != archive.end() && it->first <= q.max_seq; ++it)
    if (matches(it->second)) ++page.count;
  auto lo = archive.lower_bound(b.lo), hi = archive.upper_bound(b.hi);
  if (b.lo > b.hi) lo = hi = archive.end();
  if (!q.from_end) {
    for (auto it = lo; it != hi && rows.size() < b.limit; ++it)
      if (matches(it->second)) rows.push_back(it->second);
  } else {
    for (auto it = std::make_reverse_iterator(hi);
         it != std::make_reverse_iterator(lo) && rows.size() < b.limit; ++it)
      if (matches(it->second)) rows.push_back(it->second);
  }
  detail::finish_page(q, std::move(rows), page);
  return page;
}

}  // namespace

task<archive_page> memory_store::query_archive(core::jid owner, archive_query q) {
  archive_page page;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner)) page = page_of(a->archive, q);
  co_return page;
}

task<std::uint64_t> memory_store::expire_archive(std::int64_t before) {
  std::uint64_t n = 0;
  std::lock_guard lock(mutex_);
  for (auto& [k, a] : accounts_) {
    auto end = a.archive.lower_bound(before);
    n += static_cast<std::uint64_t>(std::distance(a.archive.begin(), end));
    a.archive.erase(a.archive.begin(), end);
  }
  for (auto& [k, archive] : muc_archives_) {
    auto end = archive.lower_bound(before);
    n += static_cast<std::uint64_t>(std::distance(archive.begin(), end));
    archive.erase(archive.begin(), end);
  }
  co_return n;
}

task<std::optional<xcap_document>> memory_store::get_xcap_document(core::jid owner, std::string auid,
                                                                   std::string name) {
  std::optional<xcap_document> out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner))
    if (auto it = a->xcap.find({auid, name}); it != a->xcap.end()) out = it->second;
  co_return out;
}

task<void> memory_store::put_xcap_document(core::jid owner, xcap_document doc) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  if (!a) co_return storage_error::no_account;
  auto key = std::pair(doc.auid, doc.name);
  a->xcap.insert_or_assign(std::move(key), std::move(doc));
  co_return result<void>{};
}

task<bool> memory_store::delete_xcap_document(core::jid owner, std::string auid, std::string name) {
  std::lock_guard lock(mutex_);
  auto* a = find(owner);
  co_return a && a->xcap.erase({auid, name}) > 0;
}

task<std::vector<xcap_document>> memory_store::list_xcap_documents(core::jid owner) {
  std::vector<xcap_document> out;
  std::lock_guard lock(mutex_);
  if (auto* a = find(owner))
    for (const auto& [k, d] : a->xcap) out.push_back(d);
  co_return out;
}

task<void> memory_store::ping() { co_return result<void>{}; }

task<void> memory_store::save_muc_room(muc_room room) {
  std::lock_guard lock(mutex_);
  room.room = room.room.bare();
  std::sort(room.affiliations.begin(), room.affiliations.end(),
            [](const auto& a, const auto& b) { return a.who < b.who; });
  auto& slot = muc_rooms_[key_of(room.room)];
  room.history = std::move(slot.history);
  slot = std::move(room);
  co_return result<void>();
}

task<void> memory_store::add_muc_history(core::jid room, muc_message m, std::size_t keep) {
  std::lock_guard lock(mutex_);
  auto it = muc_rooms_.find(key_of(room));
  if (it == muc_rooms_.end()) co_return storage_error::no_account;
  auto& h = it->second.history;
  h.push_back(std::move(m));
  if (h.size() > keep) h.erase(h.begin(), h.begin() + static_cast<std::ptrdiff_t>(h.size() - keep));
  co_return result<void>();
}

task<bool> memory_store::remove_muc_room(core::jid room) {
  std::lock_guard lock(mutex_);
  muc_archives_.erase(key_of(room));
  co_return muc_rooms_.erase(key_of(room)) > 0;
}

task<void> memory_store::append_muc_archive(core::jid room, std::vector<archived_message> batch) {
  std::lock_guard lock(mutex_);
  if (!muc_rooms_.count(key_of(room))) co_return storage_error::no_account;
  auto& archive = muc_archives_[key_of(room)];
  std::set<std::int64_t> seqs;
  for (const auto& m : batch)  // a taken seq fails the whole batch, as the primary key does
    if (archive.count(m.seq) || !seqs.insert(m.seq).second) co_return storage_error::failed;
  for (auto& m : batch) {
    const auto seq = m.seq;
    archive.emplace(seq, std::move(m));
  }
  co_return result<void>();
}

task<archive_page> memory_store::query_muc_archive(core::jid room, archive_query q) {
  static const std::map<std::int64_t, archived_message> none;
  archive_page page;
  std::lock_guard lock(mutex_);
  if (!muc_rooms_.count(key_of(room))) co_return page;  // as the SQL stores: no room, no rows
  auto it = muc_archives_.find(key_of(room));
  page = page_of(it == muc_archives_.end() ? none : it->second, q);
  co_return page;
}

task<std::string> memory_store::muc_service_secret(std::string domain, std::string candidate) {
  std::lock_guard lock(mutex_);
  co_return muc_secrets_.try_emplace(std::move(domain), std::move(candidate)).first->second;
}

task<std::vector<muc_room>> memory_store::load_muc_rooms(std::string domain) {
  std::lock_guard lock(mutex_);
  std::vector<muc_room> out;
  for (const auto& [k, r] : muc_rooms_)
    if (domain.empty() || k.first == domain) out.push_back(r);
  co_return out;
}

}  // namespace ofs::storage
