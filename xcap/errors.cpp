#include "xcap/errors.hpp"

namespace ofs::xcap {

std::string_view tag_name(conflict_tag t) {
  switch (t) {
    case conflict_tag::not_well_formed: return "not-well-formed";
    case conflict_tag::not_xml_frag: return "not-xml-frag";
    case conflict_tag::not_xml_att_value: return "not-xml-att-value";
    case conflict_tag::schema_validation_error: return "schema-validation-error";
    case conflict_tag::uniqueness_failure: return "uniqueness-failure";
    case conflict_tag::cannot_insert: return "cannot-insert";
    case conflict_tag::cannot_delete: return "cannot-delete";
    case conflict_tag::no_parent: return "no-parent";
    case conflict_tag::not_utf_8: return "not-utf-8";
    case conflict_tag::constraint_failure: return "constraint-failure";
  }
  return "constraint-failure";
}

std::string escape_xml(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string error_body(const conflict& c) {
  std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<xcap-error xmlns=\"";
  out += error_ns;
  out += "\">";
  const auto name = tag_name(c.tag);
  out += "<";
  out += name;
  if (!c.phrase.empty()) out += " phrase=\"" + escape_xml(c.phrase) + "\"";
  if (c.tag == conflict_tag::no_parent && !c.ancestor.empty()) {
    out += "><ancestor>" + escape_xml(c.ancestor) + "</ancestor></no-parent>";
  } else if (c.tag == conflict_tag::uniqueness_failure && !c.exists.empty()) {
    out += ">";
    for (const auto& [field, alts] : c.exists) {
      out += "<exists field=\"" + escape_xml(field) + "\">";
      for (const auto& a : alts) out += "<alt-value>" + escape_xml(a) + "</alt-value>";
      out += "</exists>";
    }
    out += "</uniqueness-failure>";
  } else {
    out += "/>";
  }
  out += "</xcap-error>\n";
  return out;
}

}  // namespace ofs::xcap
