#pragma once
// A routable stanza: an element tree shared copy-on-write (a broadcast to N peers copies a
// pointer, not the tree) with its addresses parsed once at the edge.
#include <memory>
#include <string_view>

#include "server/core/element.hpp"
#include "server/core/jid.hpp"

namespace ofs::core {

enum class stanza_kind { message, presence, iq, other };

namespace ns {
inline constexpr std::string_view client = "jabber:client";
inline constexpr std::string_view server = "jabber:server";
inline constexpr std::string_view stanzas = "urn:ietf:params:xml:ns:xmpp-stanzas";
inline constexpr std::string_view streams = "urn:ietf:params:xml:ns:xmpp-streams";
inline constexpr std::string_view stream = "http://etherx.jabber.org/streams";
}  // namespace ns

class stanza {
public:
  stanza() = default;
  // Parses 'to' and 'from'; a malformed address is reported as jid_error, and then e is
  // left as it was.
  static result<stanza> from_element(element&& e);
  // The same with 'from' already known (a session's own address): set, not parsed.
  static result<stanza> from_element(element&& e, jid from);

  stanza_kind kind() const { return kind_; }
  const jid& to() const { return to_; }
  const jid& from() const { return from_; }
  std::string_view type() const { return xml_->attr("type"); }
  std::string_view id() const { return xml_->attr("id"); }
  const std::string& name() const { return xml_->name(); }

  void set_to(jid to);
  void set_from(jid from);
  const element& xml() const;  // 'to' always agrees with to()
  element& mutable_xml();      // unshares the tree first (and forgets a shared payload)

  // Broadcasts (a room's fan-out) serialize a payload once: share_payload() keeps the
  // children of xml() serialized (in the element's own namespace), and every copy readdressed
  // with set_to() then shares the tree and that text; the serializer writes only the head.
  void share_payload(std::shared_ptr<const std::string> children_xml);
  const std::shared_ptr<const std::string>& shared_payload() const { return payload_; }
  // The tree as shared: its 'to' attribute may still be another recipient's (see to()).
  const element& shared_xml() const { return *xml_; }

  // XEP-0198: a client's session counts a stanza it sent as handled once every copy holding
  // this token is gone (written to a session, stored, bounced or dropped). Whoever keeps a
  // copy beyond its handling (a last-presence cache, a session's resend queue) takes it out.
  void set_handling(std::shared_ptr<void> token) { handling_ = std::move(token); }
  std::shared_ptr<void> take_handling() { return std::move(handling_); }

private:
  stanza(std::shared_ptr<element> xml, jid to, jid from);

  element& own_head();  // unshares, keeping a shared payload (children are not touched)

  mutable std::shared_ptr<element> xml_ = std::make_shared<element>();  // never null
  std::shared_ptr<const std::string> payload_;                          // see share_payload()
  mutable bool to_pending_ = false;  // xml_'s 'to' is not to_ yet (a readdressed broadcast)
  jid to_, from_;
  stanza_kind kind_ = stanza_kind::other;
  std::shared_ptr<void> handling_;  // see set_handling()
};

}  // namespace ofs::core
