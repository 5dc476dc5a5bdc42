#pragma once
// The node selector of RFC 4825 section 6.3: the XPath subset that addresses an element, an
// attribute or the namespace bindings of an element in an XCAP document. Parsed here by our
// own grammar, never handed to an XPath engine; names are resolved to namespace URIs with
// the request's xmlns() bindings and the application usage's default namespace.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ofs::xcap {

using ns_bindings = std::map<std::string, std::string>;  // prefix -> namespace URI

struct name_test {
  bool any = false;  // "*"
  std::string ns;    // namespace URI (empty: no namespace)
  std::string local;
};

struct attr_test {
  std::string ns;  // attributes without a prefix are in no namespace
  std::string local;
  std::string value;  // with XML references resolved
};

struct step {
  name_test name;
  std::optional<std::size_t> position;  // 1-based, among the siblings that match `name`
  std::optional<attr_test> attr;
};

struct node_selector {
  enum class target { element, attribute, namespaces };
  std::vector<step> steps;  // the first step selects the document element
  target what = target::element;
  std::string attr_ns, attr_local;  // for target::attribute
};

struct selector_error {
  std::string why;
};

inline constexpr std::size_t max_selector_bytes = 4096;
inline constexpr std::size_t max_selector_steps = 64;

// Parses a percent-decoded node selector. Unprefixed element names take default_ns.
std::variant<node_selector, selector_error> parse_node_selector(std::string_view text,
                                                                const ns_bindings& prefixes,
                                                                std::string_view default_ns);

// The selector of the parent element: every step but the last (for a target other than
// element, the same steps). Empty steps for the document element's "parent".
node_selector parent_of(const node_selector& s);

}  // namespace ofs::xcap
