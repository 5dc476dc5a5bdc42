// The watchdog half of stream_driver: one timer per session for the login deadline (or the
// transport's own start, e.g. a TLS handshake), the keepalive ping, the close grace and
// parser hibernation. The timer is re-armed from its own handler, never per read.
#include <algorithm>

#include "server/xmpp/stream_driver.hpp"

namespace ofs::xmpp {
using clock = std::chrono::steady_clock;
constexpr auto close_grace = std::chrono::seconds(5);  // to flush a closing stream

clock::time_point stream_driver::watchdog_deadline() const {
  if (!ready_) return started_ + options_.login_timeout;
  if (c2s_->closing()) return *closing_since_ + close_grace;
  if (!c2s_->bound()) return started_ + options_.login_timeout;
  auto deadline =
      last_read_ + options_.idle_timeout + (ping_sent_ ? options_.ping_timeout : clock::duration{});
  if (!hibernation_tried_) deadline = std::min(deadline, last_read_ + options_.hibernate_after);
  return deadline;
}

void stream_driver::arm_watchdog() {
  if (finished_) return;
  if (c2s_->closing() && !closing_since_) closing_since_ = clock::now();
  watchdog_.expires_at(watchdog_deadline());
  // Also called when cancelled: a state change (closing) may have brought the deadline closer.
  watchdog_.async_wait(handler([this](boost::system::error_code) { on_watchdog(); }));
}

void stream_driver::on_watchdog() {
  if (finished_) return;
  const auto now = clock::now();
  if (c2s_->closing() && !closing_since_) closing_since_ = now;
  if (ready_ && c2s_->bound() && !c2s_->closing() && !hibernation_tried_ &&
      now >= last_read_ + options_.hibernate_after) {
    hibernation_tried_ = true;  // once per silence; refused mid-stanza, which is rare and fine
    parser_.hibernate();
  }
  if (now >= watchdog_deadline()) {
    // Not ready: the transport's start (a TLS handshake) took too long; closing: the peer
    // does not take our last bytes. Either way there is no stream to say it on.
    if (!ready_ || c2s_->closing()) {
      transport_->close();
      return;  // the transport reports on_closed(); the session ends there
    }
    if (c2s_->bound() && !ping_sent_) {
      ping_sent_ = true;  // XEP-0199: a silent peer gets one ping before it is dropped
      c2s_->send_ping();
    } else {
      c2s_->on_timeout();
    }
  }
  arm_watchdog();
}

}  // namespace ofs::xmpp
