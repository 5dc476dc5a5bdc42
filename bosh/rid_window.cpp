#include "bosh/rid_window.hpp"

namespace ofs::bosh {

rid_window::verdict rid_window::classify(std::uint64_t rid) const {
  if (rid < next_) return verdict::repeat;
  if (rid == next_) return verdict::next;
  // The client may run 'requests' ahead of the last rid processed (section 14.2).
  if (rid - last_processed() <= requests_) return verdict::early;
  return verdict::out_of_window;
}

void rid_window::answered(std::uint64_t rid, std::string response) {
  cache_[rid] = std::move(response);
  while (cache_.size() > requests_) cache_.erase(cache_.begin());
}

const std::string* rid_window::cached(std::uint64_t rid) const {
  auto it = cache_.find(rid);
  return it == cache_.end() ? nullptr : &it->second;
}

void rid_window::acknowledged(std::uint64_t ack) { cache_.erase(cache_.begin(), cache_.upper_bound(ack)); }

}  // namespace ofs::bosh
