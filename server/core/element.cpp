#include "server/core/element.hpp"

#include <algorithm>

namespace ofs::core {

std::string_view element::attr(std::string_view name) const {
  for (const auto& a : attrs_)
    if (a.name == name) return a.value;
  return {};
}

bool element::has_attr(std::string_view name) const {
  return std::any_of(attrs_.begin(), attrs_.end(), [&](const auto& a) { return a.name == name; });
}

element& element::set_attr(std::string_view name, std::string value) {
  for (auto& a : attrs_)
    if (a.name == name) {
      a.value = std::move(value);
      return *this;
    }
  attrs_.push_back({std::string(name), std::move(value)});
  return *this;
}

void element::remove_attr(std::string_view name) {
  std::erase_if(attrs_, [&](const auto& a) { return a.name == name; });
}

element& element::add_child(element child) {
  children_.push_back(std::move(child));
  return children_.back();
}

element& element::add_text(std::string text) {
  if (!children_.empty() && children_.back().is_text())
    children_.back().text_ += text;  // keep adjacent text in one node
  else
    children_.push_back(text_node(std::move(text)));
  return *this;
}

const element* element::child(std::string_view name, std::string_view xmlns) const {
  for (const auto& c : children_)
    if (!c.is_text() && c.name_ == name && (xmlns.empty() || c.xmlns_ == xmlns)) return &c;
  return nullptr;
}

element* element::child(std::string_view name, std::string_view xmlns) {
  return const_cast<element*>(std::as_const(*this).child(name, xmlns));
}

std::string element::text() const {
  if (is_text()) return text_;
  std::string out;
  for (const auto& c : children_)
    if (c.is_text()) out += c.text_;
  return out;
}

std::string element::child_text(std::string_view name, std::string_view xmlns) const {
  const element* c = child(name, xmlns);
  return c ? c->text() : std::string();
}

void element::remove_children(std::string_view name, std::string_view xmlns) {
  std::erase_if(children_, [&](const element& c) {
    return !c.is_text() && c.name_ == name && (xmlns.empty() || c.xmlns_ == xmlns);
  });
}

}  // namespace ofs::core
