#include "server/xmpp/resumption_table.hpp"

#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "server/xmpp/c2s_session.hpp"

namespace ofs::xmpp {
namespace {

std::string random_id() {
  unsigned char raw[16];
  if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("the CSPRNG failed");
  static constexpr char hex[] = "0123456789abcdef";
  std::string id;
  for (unsigned char c : raw) {
    id += hex[c >> 4];
    id += hex[c & 15];
  }
  return id;
}

}  // namespace

std::string resumption_table::add(std::shared_ptr<c2s_session> s) {
  std::lock_guard lock(mutex_);
  for (;;) {
    auto id = random_id();
    if (sessions_.try_emplace(id, s).second) return id;
  }
}

std::shared_ptr<c2s_session> resumption_table::find(std::string_view id, const core::jid& account) const {
  std::lock_guard lock(mutex_);
  auto it = sessions_.find(std::string(id));
  if (it == sessions_.end() || it->second->address().bare() != account.bare()) return nullptr;
  return it->second;
}

void resumption_table::remove(const std::string& id, const c2s_session* s) {
  std::lock_guard lock(mutex_);
  if (auto it = sessions_.find(id); it != sessions_.end() && it->second.get() == s) sessions_.erase(it);
}

bool resumption_table::accepting() const {
  std::lock_guard lock(mutex_);
  return !closed_;
}

void resumption_table::close() {
  std::vector<std::shared_ptr<c2s_session>> left;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    for (auto& [id, s] : sessions_) left.push_back(s);
  }
  for (auto& s : left) s->end();  // each removes itself
}

std::size_t resumption_table::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

}  // namespace ofs::xmpp
