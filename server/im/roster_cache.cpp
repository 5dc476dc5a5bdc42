#include "server/im/roster_cache.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>

#include "server/im/service.hpp"

namespace ofs::im {
namespace {

bool before(const storage::roster_item& a, const std::string& contact) { return a.contact.str() < contact; }

}  // namespace

roster_cache::roster_cache(service& svc) : svc_(svc), shards_(svc.shards().size()) {}

roster_cache::~roster_cache() = default;

std::size_t roster_cache::index_of(const core::jid& user) const { return svc_.shards().index_of(user); }

boost::asio::awaitable<storage::roster*> roster_cache::get(core::jid user) {
  user = user.bare();
  auto& map = shard_of(user);
  if (auto it = map.find(user.str()); it != map.end()) co_return &it->second;
  auto load = svc_.store().load_roster(user);  // named: GCC 12 (TOOLCHAIN 3.1)
  auto loaded = co_await std::move(load);
  if (!loaded) {
    spdlog::error("im: cannot load the roster of {}: {}", user.str(), loaded.error().message());
    co_return nullptr;
  }
  // No other task filled the entry meanwhile: a user's tasks run one at a time, and the
  // tasks of other users of the shard only touch their own entries.
  auto& roster = map[user.str()] = std::move(*loaded);
  // SQL collations may order differently from find()'s byte order.
  std::sort(roster.items.begin(), roster.items.end(),
            [](const auto& a, const auto& b) { return a.contact.str() < b.contact.str(); });
  co_return &roster;
}

boost::asio::awaitable<result<std::uint64_t>> roster_cache::put(core::jid user, storage::roster_item item) {
  user = user.bare();
  item.contact = item.contact.bare();
  auto op = svc_.store().put_roster_item(user, item);  // named: GCC 12
  auto version = co_await std::move(op);
  if (!version) co_return version;
  auto& map = shard_of(user);
  auto it = map.find(user.str());
  if (it == map.end()) co_return version;
  auto& items = it->second.items;
  auto pos = std::lower_bound(items.begin(), items.end(), item.contact.str(), before);
  const bool present = pos != items.end() && pos->contact == item.contact;
  if (item.sub == storage::subscription::remove) {
    if (present) items.erase(pos);
  } else if (present) {
    *pos = std::move(item);
  } else {
    items.insert(pos, std::move(item));
  }
  it->second.version = *version;
  co_return version;
}

void roster_cache::release(const core::jid& user, const core::endpoint* leaving) {
  for (const auto& r : svc_.router().sessions().resources(user))
    if (r.ep.get() != leaving) return;
  shard_of(user).erase(user.bare_str());
}

storage::roster_item* roster_cache::find(storage::roster& r, const core::jid& contact) {
  const std::string key = contact.bare_str();
  auto pos = std::lower_bound(r.items.begin(), r.items.end(), key, before);
  return pos != r.items.end() && pos->contact.str() == key ? &*pos : nullptr;
}

std::size_t roster_cache::size() const {
  std::size_t n = 0;
  for (const auto& m : shards_) n += m.size();
  return n;
}

}  // namespace ofs::im
