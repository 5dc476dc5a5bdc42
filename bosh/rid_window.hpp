#pragma once
// The request ids of one BOSH session (XEP-0124 sections 14.1 to 14.3): which rid comes next,
// which may arrive early (within 'requests' of the last one processed), and the responses kept
// for the client to ask again. Plain state, touched only on the session's strand.
#include <cstdint>
#include <map>
#include <string>

namespace ofs::bosh {

class rid_window {
public:
  // first: the rid of the session creation request, processed already.
  rid_window(std::uint64_t first, unsigned requests) : next_(first + 1), requests_(requests) {}

  enum class verdict {
    next,           // process it now
    early,          // within the window: hold it until those before it came
    repeat,         // processed already: answer it again (if still known) or terminate
    out_of_window,  // too far ahead: item-not-found
  };
  verdict classify(std::uint64_t rid) const;
  void processed() { ++next_; }  // the 'next' rid has been processed
  std::uint64_t next() const { return next_; }
  std::uint64_t last_processed() const { return next_ - 1; }

  // Responses kept for repeats: the last 'requests' answered, fewer once the client
  // acknowledged them (its 'ack' attribute).
  void answered(std::uint64_t rid, std::string response);
  const std::string* cached(std::uint64_t rid) const;
  void acknowledged(std::uint64_t ack);
  std::size_t cached_count() const { return cache_.size(); }

private:
  std::uint64_t next_;
  unsigned requests_;
  std::map<std::uint64_t, std::string> cache_;
};

}  // namespace ofs::bosh
