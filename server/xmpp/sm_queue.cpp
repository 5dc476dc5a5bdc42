#include "server/xmpp/sm_queue.hpp"

namespace ofs::xmpp {

namespace {
// Storage kept for the next stanzas once the queue is empty; beyond it, given back.
constexpr std::size_t kept_capacity = 16;
}  // namespace

void outbound_queue::drop_front(std::size_t n) {
  head_ += n;
  if (head_ == q_.size()) return clear();
  // Moved down once the dead front outweighs the live part: amortized O(1) per entry.
  if (head_ >= kept_capacity && head_ * 2 >= q_.size()) {
    q_.erase(q_.begin(), q_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

void outbound_queue::clear() {
  q_.clear();
  head_ = 0;
  if (q_.capacity() > kept_capacity) std::vector<outbound_entry>().swap(q_);
}

std::vector<outbound_entry> outbound_queue::take_unwritten(bool keep_until_acked) {
  std::vector<outbound_entry> out;
  out.reserve(size() - written_);
  if (!keep_until_acked) {
    for (std::size_t i = head_; i < q_.size(); ++i) out.push_back(std::move(q_[i]));
    clear();  // nothing is counted before stream management is enabled
    written_ = 0;
    return out;
  }
  for (std::size_t i = head_ + written_; i < q_.size(); ++i) out.push_back({q_[i].s, {}});
  written_ = size();
  return out;
}

std::optional<std::vector<outbound_entry>> outbound_queue::ack(std::uint32_t h) {
  // XEP-0198 4: h wraps at 2^32; what it adds to the last ack cannot exceed what went out.
  const std::uint32_t delta = h - static_cast<std::uint32_t>(acked_);
  if (delta > written_) return std::nullopt;
  std::vector<outbound_entry> done;
  done.reserve(delta);
  for (std::uint32_t i = 0; i < delta; ++i) done.push_back(std::move(q_[head_ + i]));
  drop_front(delta);
  written_ -= delta;
  acked_ += delta;
  return done;
}

std::vector<outbound_entry> outbound_queue::take_all() {
  std::vector<outbound_entry> out;
  out.reserve(size());
  for (std::size_t i = head_; i < q_.size(); ++i) out.push_back(std::move(q_[i]));
  clear();
  written_ = 0;
  return out;
}

void inbound_counter::handled(std::uint64_t seq) {
  if (seq <= handled_ || seq > received_) return;  // twice, or not ours: ignored
  done_.insert(seq);
  while (!done_.empty() && *done_.begin() == handled_ + 1) {
    done_.erase(done_.begin());
    ++handled_;
  }
}

std::vector<inbound_counter::answer> inbound_counter::take_due() {
  std::vector<answer> due;
  auto first_not_due = owed_.begin();
  for (; first_not_due != owed_.end() && first_not_due->until <= handled_; ++first_not_due)
    due.push_back({first_not_due->kind, handled_wire()});
  owed_.erase(owed_.begin(), first_not_due);
  return due;
}

}  // namespace ofs::xmpp
