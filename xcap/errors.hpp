#pragma once
// The <xcap-error> conflict reports of RFC 4825 section 11, sent with 409 and the MIME type
// application/xcap-error+xml. Every refused write names its reason and a phrase saying why.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofs::xcap {

inline constexpr std::string_view error_ns = "urn:ietf:params:xml:ns:xcap-error";
inline constexpr std::string_view error_mime = "application/xcap-error+xml";

enum class conflict_tag {
  not_well_formed,
  not_xml_frag,
  not_xml_att_value,
  schema_validation_error,
  uniqueness_failure,
  cannot_insert,
  cannot_delete,
  no_parent,
  not_utf_8,
  constraint_failure,
};

struct conflict {
  conflict(conflict_tag t, std::string why = {}, std::string parent = {})
      : tag(t), phrase(std::move(why)), ancestor(std::move(parent)) {}
  conflict_tag tag;
  std::string phrase;
  std::string ancestor;  // no-parent: the URI of the closest existing ancestor
  // uniqueness-failure: the field (a node selector) and suggested other values
  std::vector<std::pair<std::string, std::vector<std::string>>> exists;
};

std::string_view tag_name(conflict_tag t);
// <?xml ...?><xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><tag phrase="..."/></xcap-error>
std::string error_body(const conflict& c);
// XML text escaping for attribute values and character data.
std::string escape_xml(std::string_view s);

}  // namespace ofs::xcap
