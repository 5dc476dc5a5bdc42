#pragma once
// How the SQL stores spell enums and normalize values; shared so that every backend
// (memory included) behaves the same. Internal to server/storage.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/storage/store.hpp"

namespace ofs::storage::detail {

// Passes an error on to any result<T>. result<bool> takes an error_code only explicitly
// (a bool can be built from one), so `return q.error();` does not compile there.
class failure {
public:
  explicit failure(error_code ec) : ec_(ec) {}
  template <class T>
  operator result<T>() const { return result<T>(boost::system::in_place_error, ec_); }

private:
  error_code ec_;
};

inline std::string_view to_text(subscription s) {
  switch (s) {
    case subscription::to: return "to";
    case subscription::from: return "from";
    case subscription::both: return "both";
    case subscription::none:
    case subscription::remove: break;  // never stored: a put with remove deletes
  }
  return "none";
}

inline subscription subscription_from_text(std::string_view s) {
  if (s == "to") return subscription::to;
  if (s == "from") return subscription::from;
  if (s == "both") return subscription::both;
  return subscription::none;
}

inline std::string_view to_text(auth::scram_hash h) {
  return h == auth::scram_hash::sha1 ? "sha1" : "sha256";
}

inline std::optional<auth::scram_hash> hash_from_text(std::string_view s) {
  if (s == "sha1") return auth::scram_hash::sha1;
  if (s == "sha256") return auth::scram_hash::sha256;
  return std::nullopt;
}

// Keeps the first of each group name, in order.
inline std::vector<std::string> unique_groups(std::vector<std::string> groups) {
  std::vector<std::string> out;
  for (auto& g : groups)
    if (std::find(out.begin(), out.end(), g) == out.end()) out.push_back(std::move(g));
  return out;
}

// One entry per hash, the last given winning, sorted sha1 first.
inline std::vector<auth::scram_credentials> unique_credentials(
    std::vector<auth::scram_credentials> creds) {
  std::vector<auth::scram_credentials> out;
  for (auto& c : creds) {
    auto same = [&](const auth::scram_credentials& o) { return o.hash == c.hash; };
    if (auto it = std::find_if(out.begin(), out.end(), same); it != out.end())
      *it = std::move(c);
    else
      out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.hash < b.hash; });
  return out;
}

}  // namespace ofs::storage::detail
