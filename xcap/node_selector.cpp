#include "xcap/node_selector.hpp"

#include <charconv>

namespace ofs::xcap {
namespace {

// XML NameChar, restricted to what a node selector needs; non-ASCII bytes (UTF-8) pass.
bool name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool name_char(char c) { return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.'; }

class parser {
public:
  parser(std::string_view text, const ns_bindings& prefixes, std::string_view default_ns)
      : in_(text), prefixes_(prefixes), default_ns_(default_ns) {}

  std::variant<node_selector, selector_error> run() {
    if (in_.empty()) return fail("empty node selector");
    if (in_.size() > max_selector_bytes) return fail("node selector too long");
    node_selector out;
    for (;;) {
      if (out.steps.size() >= max_selector_steps) return fail("too many steps");
      if (at('@')) {  // terminal: attribute selector
        ++pos_;
        if (out.steps.empty()) return fail("an attribute needs an element");
        auto q = qname(false);
        if (!q) return error_;
        out.what = node_selector::target::attribute;
        out.attr_ns = q->ns;
        out.attr_local = q->local;
        break;
      }
      if (in_.substr(pos_) == "namespace::*") {
        if (out.steps.empty()) return fail("namespace::* needs an element");
        out.what = node_selector::target::namespaces;
        pos_ = in_.size();
        break;
      }
      auto s = parse_step();
      if (!s) return error_;
      out.steps.push_back(std::move(*s));
      if (pos_ == in_.size()) break;
      if (!at('/')) return fail("expected '/' at offset " + std::to_string(pos_));
      ++pos_;
    }
    if (pos_ != in_.size()) return fail("unexpected text after the selector");
    return out;
  }

private:
  bool at(char c) const { return pos_ < in_.size() && in_[pos_] == c; }
  selector_error fail(std::string why) {
    error_ = {std::move(why)};
    return error_;
  }

  std::optional<std::string> ncname() {
    const auto start = pos_;
    if (pos_ >= in_.size() || !name_start(in_[pos_])) return std::nullopt;
    while (pos_ < in_.size() && name_char(in_[pos_])) ++pos_;
    return std::string(in_.substr(start, pos_ - start));
  }

  // QName: [prefix ':'] local. Elements without a prefix take the default namespace,
  // attributes none (XML Namespaces 6.2).
  std::optional<name_test> qname(bool element) {
    auto first = ncname();
    if (!first) return fail("expected a name at offset " + std::to_string(pos_)), std::nullopt;
    name_test n;
    if (at(':')) {
      ++pos_;
      auto local = ncname();
      if (!local) return fail("expected a local name at offset " + std::to_string(pos_)), std::nullopt;
      auto it = prefixes_.find(*first);
      if (it == prefixes_.end()) return fail("prefix '" + *first + "' is not bound by xmlns()"), std::nullopt;
      n.ns = it->second;
      n.local = std::move(*local);
    } else {
      n.ns = element ? default_ns_ : std::string();
      n.local = std::move(*first);
    }
    return n;
  }

  std::optional<std::size_t> position() {
    const auto start = pos_;
    while (pos_ < in_.size() && in_[pos_] >= '0' && in_[pos_] <= '9') ++pos_;
    std::size_t v = 0;
    auto [p, ec] = std::from_chars(in_.data() + start, in_.data() + pos_, v);
    if (ec != std::errc() || v == 0 || pos_ - start > 9) return fail("bad position"), std::nullopt;
    return v;
  }

  // AttValue (XML 1.0 [10]) with the five predefined references and character references.
  std::optional<std::string> att_value() {
    if (!at('"') && !at('\'')) return fail("an attribute value must be quoted"), std::nullopt;
    const char quote = in_[pos_++];
    std::string v;
    while (pos_ < in_.size() && in_[pos_] != quote) {
      char c = in_[pos_];
      if (c == '<') return fail("'<' in an attribute value"), std::nullopt;
      if (c != '&') {
        v += c;
        ++pos_;
        continue;
      }
      auto end = in_.find(';', pos_);
      if (end == std::string_view::npos || end - pos_ > 12) return fail("bad reference"), std::nullopt;
      auto ref = in_.substr(pos_ + 1, end - pos_ - 1);
      pos_ = end + 1;
      if (ref == "amp")
        v += '&';
      else if (ref == "lt")
        v += '<';
      else if (ref == "gt")
        v += '>';
      else if (ref == "quot")
        v += '"';
      else if (ref == "apos")
        v += '\'';
      else if (!char_ref(ref, v))
        return fail("unknown reference &" + std::string(ref) + ";"), std::nullopt;
    }
    if (!at(quote)) return fail("unterminated attribute value"), std::nullopt;
    ++pos_;
    return v;
  }

  static bool char_ref(std::string_view ref, std::string& out) {
    if (ref.size() < 2 || ref[0] != '#') return false;
    const bool hex = ref[1] == 'x';
    auto digits = ref.substr(hex ? 2 : 1);
    unsigned long cp = 0;
    auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), cp, hex ? 16 : 10);
    if (ec != std::errc() || p != digits.data() + digits.size() || digits.empty()) return false;
    if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    if (cp < 0x20 && cp != 0x9 && cp != 0xA && cp != 0xD) return false;
    if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else if (cp < 0x800) {
      out += static_cast<char>(0xC0 | (cp >> 6));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      out += static_cast<char>(0xE0 | (cp >> 12));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      out += static_cast<char>(0xF0 | (cp >> 18));
      out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
  }

  std::optional<attr_test> parse_attr_test() {
    ++pos_;  // '@'
    auto q = qname(false);
    if (!q) return std::nullopt;
    if (!at('=')) return fail("expected '=' in an attribute test"), std::nullopt;
    ++pos_;
    auto v = att_value();
    if (!v) return std::nullopt;
    return attr_test{q->ns, q->local, std::move(*v)};
  }

  std::optional<step> parse_step() {
    step s;
    if (at('*')) {
      ++pos_;
      s.name.any = true;
    } else {
      auto q = qname(true);
      if (!q) return std::nullopt;
      s.name = std::move(*q);
    }
    // by-name, by-pos "[n]", by-attr "[@a=v]", by-pos-attr "[n][@a=v]"; nothing else.
    for (int predicates = 0; at('['); ++predicates) {
      ++pos_;
      if (at('@')) {
        if (s.attr) return fail("one attribute test per step"), std::nullopt;
        s.attr = parse_attr_test();
        if (!s.attr) return std::nullopt;
      } else {
        if (s.position || s.attr) return fail("a position comes first, once"), std::nullopt;
        s.position = position();
        if (!s.position) return std::nullopt;
      }
      if (!at(']')) return fail("expected ']' at offset " + std::to_string(pos_)), std::nullopt;
      ++pos_;
    }
    return s;
  }

  std::string_view in_;
  const ns_bindings& prefixes_;
  std::string default_ns_;
  std::size_t pos_ = 0;
  selector_error error_;
};

}  // namespace

std::variant<node_selector, selector_error> parse_node_selector(std::string_view text,
                                                                const ns_bindings& prefixes,
                                                                std::string_view default_ns) {
  return parser(text, prefixes, default_ns).run();
}

node_selector parent_of(const node_selector& s) {
  node_selector p;
  p.steps = s.steps;
  if (s.what == node_selector::target::element && !p.steps.empty()) p.steps.pop_back();
  return p;
}

}  // namespace ofs::xcap
