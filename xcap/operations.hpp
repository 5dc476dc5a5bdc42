#pragma once
// The element, attribute and namespace operations of RFC 4825 section 7 on a parsed document,
// with the idempotence checks of 7.4 and 7.5: after a PUT the same URI must select exactly
// what was put, after a DELETE nothing; otherwise the change is undone and refused (409).
#include <libxml/tree.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xcap/errors.hpp"
#include "xcap/node_selector.hpp"

namespace ofs::xcap {

inline constexpr std::string_view element_mime = "application/xcap-el+xml";
inline constexpr std::string_view attribute_mime = "application/xcap-att+xml";
inline constexpr std::string_view namespaces_mime = "application/xcap-ns+xml";

// The elements the steps select, in document order.
std::vector<xmlNode*> select(xmlDoc* doc, const std::vector<step>& steps);

struct op_result {
  unsigned status = 200;           // 200, 201, 404, 409
  std::optional<conflict> error;   // with 409
  std::string body, content_type;  // of a GET
  std::string why;                 // of a 404
};

op_result get_node(xmlDoc* doc, const node_selector& sel);
// body: an element (application/xcap-el+xml) or an attribute value (xcap-att+xml).
op_result put_node(xmlDoc* doc, const node_selector& sel, std::string_view body);
op_result delete_node(xmlDoc* doc, const node_selector& sel);

// An attribute value as an XML AttValue holds it: references resolved; nullopt if invalid.
std::optional<std::string> decode_att_value(std::string_view text);

}  // namespace ofs::xcap
