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

result<stanza> stanza::from_element(element e) {
  stanza s;
  s.kind_ = kind_of(e);
  if (auto to = e.attr("to"); !to.empty()) {
    auto j = jid::parse(to);
    if (!j) return j.error();
    s.to_ = std::move(*j);
  }
  if (auto from = e.attr("from"); !from.empty()) {
    auto j = jid::parse(from);
    if (!j) return j.error();
    s.from_ = std::move(*j);
  }
  // Addresses are kept in their canonical form on the wire too.
  if (!s.to_.empty()) e.set_attr("to", s.to_.str());
  if (!s.from_.empty()) e.set_attr("from", s.from_.str());
  s.xml_ = std::make_shared<element>(std::move(e));
  return s;
}

element& stanza::mutable_xml() {
  if (xml_.use_count() != 1) xml_ = std::make_shared<element>(*xml_);
  return *xml_;
}

void stanza::set_to(jid to) {
  to_ = std::move(to);
  if (to_.empty())
    mutable_xml().remove_attr("to");
  else
    mutable_xml().set_attr("to", to_.str());
}

void stanza::set_from(jid from) {
  from_ = std::move(from);
  if (from_.empty())
    mutable_xml().remove_attr("from");
  else
    mutable_xml().set_attr("from", from_.str());
}

}  // namespace ofs::core
