#pragma once
// The BOSH sessions of the server by sid. Sids are 128 random bits from OpenSSL's CSPRNG: a
// sid is the session's only credential between requests. Any thread; a mutex for a few lines.
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace ofs::bosh {

// 32 hex digits from RAND_bytes, or nothing if the CSPRNG failed.
std::optional<std::string> new_sid();

template <class Session>
class session_table {
public:
  explicit session_table(std::size_t max_sessions) : max_(max_sessions) {}

  // Adds s under sid (from new_sid()); false when the table is full or sid is taken.
  bool add(const std::string& sid, std::shared_ptr<Session> s) {
    std::lock_guard lock(mutex_);
    return sessions_.size() < max_ && sessions_.emplace(sid, std::move(s)).second;
  }
  std::shared_ptr<Session> find(const std::string& sid) const {
    std::lock_guard lock(mutex_);
    auto it = sessions_.find(sid);
    return it == sessions_.end() ? nullptr : it->second;
  }
  void erase(const std::string& sid) {
    std::lock_guard lock(mutex_);
    sessions_.erase(sid);
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return sessions_.size();
  }
  std::vector<std::shared_ptr<Session>> all() const {
    std::lock_guard lock(mutex_);
    std::vector<std::shared_ptr<Session>> out;
    for (const auto& [sid, s] : sessions_) out.push_back(s);
    return out;
  }

private:
  mutable std::mutex mutex_;
  std::size_t max_;
  std::unordered_map<std::string, std::shared_ptr<Session>> sessions_;
};

}  // namespace ofs::bosh
