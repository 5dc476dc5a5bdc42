#pragma once
// One authenticated peer, whatever its protocol (XMPP c2s, WebSocket, BOSH, ICPP, SIP...).
// Each front-end implements it once; the router holds endpoints by weak_ptr only.
#include <functional>
#include <string>
#include <string_view>

#include "server/core/jid.hpp"
#include "server/core/stanza.hpp"

namespace ofs::core {

class endpoint {
public:
  virtual ~endpoint() = default;
  // The full JID the session is bound to; fixed before the endpoint is bound.
  virtual const jid& address() const = 0;
  // Where the peer connects from (an IP address, or "" when there is none), for per-IP limits.
  virtual std::string remote_address() const = 0;
  // What carries the session ("tcp", "websocket", "bosh", ...), for administrators.
  virtual std::string_view transport() const = 0;
  // Called from any thread: queue the stanza for writing and return; never throws. What
  // the session can no longer write goes to router::undeliverable(), never nowhere.
  virtual void deliver(stanza s) = 0;
  // The same, for what must not be lost (stored offline messages): `received` is called once,
  // from any thread, with true when the peer is known to have received the stanza (c2s: it
  // answered a ping written after it), or with false when the session ended (or was closing)
  // before that. Nothing else is done with a stanza that was not received: the caller keeps it.
  virtual void deliver(stanza s, std::function<void(bool received)> received) = 0;
  // Called from any thread: end the session with this stream error condition
  // ("conflict" when a newer session takes the resource, "system-shutdown"...).
  virtual void terminate(std::string_view condition, std::string_view text = {}) = 0;
};

}  // namespace ofs::core
