#include "server/core/stanza.hpp"

namespace ofs::core {
namespace {

stanza_kind kind_of(const element& e) {
  if (e.name() == "message") return stanza_kind::message;
  if (e.name() == "presence") return stanza_kind::presence;
  if (e.name() == "iq") return stanza_kind::iq;
  return stanza_kind::other;
}

}  // namespace

result<stanza> stanza::from_element(element&& e) {
  jid from;
  if (auto text = e.attr("from"); !text.empty()) {
    auto j = jid::parse(text);
    if (!j) return j.error();
    from = std::move(*j);
  }
  return from_element(std::move(e), std::move(from));
}

result<stanza> stanza::from_element(element&& e, jid from) {
  jid to;
  if (auto text = e.attr("to"); !text.empty()) {
    auto j = jid::parse(text);
    if (!j) return j.error();
    to = std::move(*j);
  }
  // Addresses are kept in their canonical form on the wire too.
  if (!to.empty()) e.set_attr("to", to.str());
  if (from.empty())
    e.remove_attr("from");
  else
    e.set_attr("from", from.str());
  return stanza(std::make_shared<element>(std::move(e)), std::move(to), std::move(from));
}

stanza::stanza(std::shared_ptr<element> xml, jid to, jid from)
    : xml_(std::move(xml)), to_(std::move(to)), from_(std::move(from)), kind_(kind_of(*xml_)) {}

const element& stanza::xml() const {
  if (to_pending_) {  // a readdressed broadcast copy read as a tree: give it its own 'to'
    xml_ = std::make_shared<element>(*xml_);
    if (to_.empty())
      xml_->remove_attr("to");
    else
      xml_->set_attr("to", to_.str());
    to_pending_ = false;
  }
  return *xml_;
}

element& stanza::own_head() {
  xml();  // applies a pending 'to'
  if (xml_.use_count() != 1) xml_ = std::make_shared<element>(*xml_);
  return *xml_;
}

element& stanza::mutable_xml() {
  payload_.reset();
  return own_head();
}

void stanza::share_payload(std::shared_ptr<const std::string> children_xml) {
  payload_ = std::move(children_xml);
}

void stanza::set_to(jid to) {
  to_ = std::move(to);
  if (payload_) {  // a broadcast: the tree stays shared, the serializer writes to()
    to_pending_ = true;
    return;
  }
  if (to_.empty())
    own_head().remove_attr("to");
  else
    own_head().set_attr("to", to_.str());
}

void stanza::set_from(jid from) {
  from_ = std::move(from);
  if (from_.empty())
    own_head().remove_attr("from");
  else
    own_head().set_attr("from", from_.str());
}

}  // namespace ofs::core
