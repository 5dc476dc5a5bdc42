#pragma once
// The callbacks of transport::write(bytes, done) for transports that queue output: each is
// due once the writes queued up to it are out (a WebSocket message sent, a BOSH response
// handed over), or at once with false when the connection ends. On the session's strand.
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace ofs::xmpp {

class write_callbacks {
public:
  using callback = std::function<void(bool written)>;
  // fn is due once `mark` writes (counted since the start) are out.
  void add(std::uint64_t mark, callback fn) { pending_.emplace_back(mark, std::move(fn)); }
  // Takes the callbacks due once `out` writes are out, in order; all of them if !written.
  std::vector<callback> take_due(std::uint64_t out, bool written) {
    std::vector<callback> due;
    std::size_t n = 0;
    while (n < pending_.size() && (!written || pending_[n].first <= out))
      due.push_back(std::move(pending_[n++].second));
    pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(n));
    return due;
  }

private:
  std::vector<std::pair<std::uint64_t, callback>> pending_;
};

}  // namespace ofs::xmpp
