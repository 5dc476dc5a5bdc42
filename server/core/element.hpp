#pragma once
// A small XML element tree: the one internal language of OFS. Names are local names with the
// namespace URI kept beside them, so the serializer, not the parser's prefixes, decides how a
// namespace is written. Text is a child with an empty name, which keeps mixed content in order.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ofs::core {

class element {
public:
  struct attribute {
    std::string name;   // local name; "xml:lang" keeps its prefix
    std::string value;  // unescaped
    friend bool operator==(const attribute&, const attribute&) = default;
  };

  element() = default;
  explicit element(std::string name, std::string xmlns = {})
      : name_(std::move(name)), xmlns_(std::move(xmlns)) {}
  static element text_node(std::string text) {
    element e;
    e.text_ = std::move(text);
    return e;
  }

  bool is_text() const { return name_.empty(); }
  const std::string& name() const { return name_; }
  const std::string& xmlns() const { return xmlns_; }
  void set_xmlns(std::string ns) { xmlns_ = std::move(ns); }

  // Attributes; attr() returns "" when absent.
  std::string_view attr(std::string_view name) const;
  bool has_attr(std::string_view name) const;
  element& set_attr(std::string_view name, std::string value);
  void remove_attr(std::string_view name);
  const std::vector<attribute>& attributes() const { return attrs_; }

  // Children, in document order (text nodes included).
  const std::vector<element>& children() const { return children_; }
  std::vector<element>& children() { return children_; }
  element& add_child(element child);
  element& add_text(std::string text);
  // First child element with this name (and namespace, if given), or nullptr.
  const element* child(std::string_view name, std::string_view xmlns = {}) const;
  element* child(std::string_view name, std::string_view xmlns = {});
  // A text node's own text, without a copy.
  const std::string& content() const { return text_; }
  // Concatenated text of this element (for a text node, its own text).
  std::string text() const;
  std::string child_text(std::string_view name, std::string_view xmlns = {}) const;
  void remove_children(std::string_view name, std::string_view xmlns = {});

  friend bool operator==(const element&, const element&) = default;

private:
  std::string name_, xmlns_, text_;
  std::vector<attribute> attrs_;
  std::vector<element> children_;
};

}  // namespace ofs::core
