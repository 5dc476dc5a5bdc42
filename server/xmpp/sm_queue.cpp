#include "server/xmpp/sm_queue.hpp"

namespace ofs::xmpp {

std::vector<outbound_entry> outbound_queue::take_unwritten(bool keep_until_acked) {
  std::vector<outbound_entry> out;
  out.reserve(q_.size() - written_);
  if (!keep_until_acked) {
    for (auto& e : q_) out.push_back(std::move(e));
    q_.clear();  // nothing is counted before stream management is enabled
    return out;
  }
  for (std::size_t i = written_; i < q_.size(); ++i) out.push_back({q_[i].s, {}});
  written_ = q_.size();
  return out;
}

std::optional<std::vector<outbound_entry>> outbound_queue::ack(std::uint32_t h) {
  // XEP-0198 4: h wraps at 2^32; what it adds to the last ack cannot exceed what went out.
  const std::uint32_t delta = h - static_cast<std::uint32_t>(acked_);
  if (delta > written_) return std::nullopt;
  std::vector<outbound_entry> done;
  done.reserve(delta);
  for (std::uint32_t i = 0; i < delta; ++i) {
    done.push_back(std::move(q_.front()));
    q_.pop_front();
  }
  written_ -= delta;
  acked_ += delta;
  return done;
}

std::vector<outbound_entry> outbound_queue::take_all() {
  std::vector<outbound_entry> out;
  out.reserve(q_.size());
  for (auto& e : q_) out.push_back(std::move(e));
  q_.clear();
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
  while (has_due()) {
    due.push_back({owed_.front().kind, handled_wire()});
    owed_.pop_front();
  }
  return due;
}

}  // namespace ofs::xmpp
