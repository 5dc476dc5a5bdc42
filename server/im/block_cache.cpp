#include "server/im/block_cache.hpp"

#include <spdlog/spdlog.h>

#include "server/im/service.hpp"

namespace ofs::im {
namespace {

constexpr std::string_view blocklist_key = "blocklist";

// The user whose queued retries this thread is running: their lookups must answer, or a
// retry would queue itself again behind itself.
thread_local const std::string* draining = nullptr;

const block_list_ptr& empty_list() {
  static const block_list_ptr empty = std::make_shared<const block_list>();
  return empty;
}

}  // namespace

bool blocks(const block_list& list, const core::jid& who) {
  if (list.empty() || who.empty()) return false;
  if (list.count(who.str()) || list.count(who.domain())) return true;
  if (!who.node().empty() && !who.resource().empty() && list.count(who.bare_str())) return true;
  return !who.resource().empty() && !who.node().empty() && list.count(who.domain() + "/" + who.resource());
}

std::string serialize_block_list(const block_list& list) {
  std::string out;
  for (const auto& j : list) out += j + "\n";
  return out;
}

block_list parse_block_list(std::string_view text) {
  block_list out;
  while (!text.empty()) {
    auto nl = text.find('\n');
    auto line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);
    if (auto j = core::jid::parse(line)) out.insert(j->str());
  }
  return out;
}

block_cache::block_cache(service& svc, std::size_t max_per_shard)
    : svc_(svc), max_per_shard_(max_per_shard), shards_(std::make_unique<shard[]>(shard_count)) {}

block_cache::~block_cache() = default;

block_cache::shard& block_cache::shard_for(const std::string& bare) const {
  return shards_[std::hash<std::string>{}(bare) % shard_count];
}

block_list_ptr block_cache::lookup(const std::string& key) const {
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto it = s.users.find(key);
  if (it == s.users.end()) return nullptr;
  const entry& e = it->second;
  return e.ready || (draining && *draining == key) ? e.list : nullptr;
}

block_list_ptr block_cache::defer(const core::jid& user, retry_fn retry) {
  const std::string key = user.bare_str();
  auto& s = shard_for(key);
  {
    std::lock_guard lock(s.mutex);
    auto [it, inserted] = s.users.try_emplace(key);
    entry& e = it->second;
    if (e.ready || (e.list && draining && *draining == key)) return e.list;  // loaded meanwhile
    e.pending.push_back(std::move(retry));
    if (!inserted) return nullptr;  // a load is already on its way
  }
  auto task = [this, user = user.bare()] { return fill(user); };
  svc_.shards().post_accepted(user.bare(), std::move(task));  // what it holds was accepted already
  return nullptr;
}

void block_cache::refuse_pending(const std::string& key) {
  std::vector<retry_fn> batch;
  {
    auto& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    auto it = s.users.find(key);
    if (it == s.users.end()) return;
    batch.swap(it->second.pending);
    if (!it->second.list) s.users.erase(it);  // unknown: the next lookup loads again
  }
  for (auto& retry : batch) {
    try {
      retry(false);
    } catch (const std::exception& x) {
      spdlog::error("im: refusing a held stanza for {}: {}", key, x.what());
    }
  }
}

boost::asio::awaitable<void> block_cache::fill(core::jid user) {
  const std::string key = user.bare_str();
  auto text = co_await svc_.store().get_private(user, std::string(blocklist_key));
  auto& s = shard_for(key);
  bool known = false;
  {
    std::lock_guard lock(s.mutex);
    entry& e = s.users[key];
    if (!e.list && text) {  // a change stored meanwhile already put the newer list here
      auto stored = parse_block_list(text->value_or(""));
      e.list = stored.empty() ? empty_list() : std::make_shared<const block_list>(std::move(stored));
    }
    known = e.list != nullptr;
  }
  // Fail closed: with the list unknown, a block may exist; what waits for it is refused.
  if (!known) {
    spdlog::warn("im: block list of {} unavailable, held stanzas refused: {}", key, text.error().message());
    co_return refuse_pending(key);
  }
  for (;;) {
    std::vector<retry_fn> batch;
    {
      std::lock_guard lock(s.mutex);
      entry& e = s.users[key];
      if (e.pending.empty()) {
        e.ready = true;
        if (s.users.size() > max_per_shard_) evict_one(s, key);
        break;
      }
      batch.swap(e.pending);
    }
    draining = &key;
    user_shards::follow_up accepted;  // the held stanzas were accepted: not refused when stopping
    for (auto& retry : batch) {
      try {
        retry(true);
      } catch (const std::exception& x) {
        spdlog::error("im: routing a held stanza for {}: {}", key, x.what());
      }
    }
    draining = nullptr;
  }
}

void block_cache::evict_one(shard& s, const std::string& keep) {
  for (auto it = s.users.begin(); it != s.users.end(); ++it)
    if (it->second.ready && it->first != keep) {
      s.users.erase(it);
      return;
    }
}

boost::asio::awaitable<result<block_list_ptr>> block_cache::load(core::jid user) {
  const std::string key = user.bare_str();
  {
    auto& s = shard_for(key);
    std::lock_guard lock(s.mutex);
    if (auto it = s.users.find(key); it != s.users.end() && it->second.list) co_return it->second.list;
  }
  auto text = co_await svc_.store().get_private(user, std::string(blocklist_key));
  if (!text) co_return text.error();
  co_return std::make_shared<const block_list>(parse_block_list(text->value_or("")));
}

void block_cache::replace(const core::jid& user, block_list_ptr list) {
  const std::string key = user.bare_str();
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  auto [it, inserted] = s.users.try_emplace(key);
  it->second.list = list->empty() ? empty_list() : std::move(list);
  if (inserted) it->second.ready = true;
}

void block_cache::add_interested(const core::jid& full) {
  auto key = full.bare_str();
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  s.interested[key].insert(full.resource());
}

std::vector<core::jid> block_cache::interested(const core::jid& user) const {
  std::vector<core::jid> out;
  auto key = user.bare_str();
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.interested.find(key); it != s.interested.end())
    for (const auto& r : it->second) out.push_back(user.bare().with_resource(r));
  return out;
}

void block_cache::session_ended(const core::jid& full, bool last_of_user) {
  auto key = full.bare_str();
  auto& s = shard_for(key);
  std::lock_guard lock(s.mutex);
  if (auto it = s.interested.find(key); it != s.interested.end()) {
    it->second.erase(full.resource());
    if (it->second.empty()) s.interested.erase(it);
  }
  if (!last_of_user) return;
  if (auto it = s.users.find(key); it != s.users.end() && it->second.ready && it->second.list->empty())
    s.users.erase(it);
}

}  // namespace ofs::im
