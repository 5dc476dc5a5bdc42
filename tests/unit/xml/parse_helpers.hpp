#pragma once
// Shared by the XML parser and serializer tests (and the fuzz target): run bytes through a stream_parser,
// print events readably in gtest failures.
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::core {
inline void PrintTo(const element& e, std::ostream* os) { *os << xml::to_string(e, ""); }
}  // namespace ofs::core

namespace ofs::xml::test {

// Structural equality. TODO(xml): use == once core::element::attribute has operator==
// (without it element's defaulted == is deleted).
inline bool same_tree(const core::element& a, const core::element& b) {
  if (a.is_text() || b.is_text()) return a.is_text() == b.is_text() && a.text() == b.text();
  if (a.name() != b.name() || a.xmlns() != b.xmlns()) return false;
  const auto &x = a.attributes(), &y = b.attributes();
  if (x.size() != y.size()) return false;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (x[i].name != y[i].name || x[i].value != y[i].value) return false;
  const auto &m = a.children(), &n = b.children();
  if (m.size() != n.size()) return false;
  for (std::size_t i = 0; i < m.size(); ++i)
    if (!same_tree(m[i], n[i])) return false;
  return true;
}

inline bool same_event(const stream_event& a, const stream_event& b) {
  if (a.index() != b.index()) return false;
  if (auto* o = std::get_if<open_event>(&a)) {
    const auto& p = std::get<open_event>(b);
    return o->default_ns == p.default_ns && same_tree(o->header, p.header);
  }
  if (auto* s = std::get_if<stanza_event>(&a)) return same_tree(s->xml, std::get<stanza_event>(b).xml);
  return true;
}

inline bool same_events(const std::vector<stream_event>& a, const std::vector<stream_event>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (!same_event(a[i], b[i])) return false;
  return true;
}

inline std::string describe(const stream_event& e) {
  if (auto* o = std::get_if<open_event>(&e)) return "open(" + o->default_ns + ") " + to_string(o->header, "");
  if (auto* s = std::get_if<stanza_event>(&e)) return to_string(s->xml, "");
  return "close";
}

inline std::string describe(const std::vector<stream_event>& events) {
  std::string out;
  for (const auto& e : events) out += describe(e) + "\n";
  return out;
}

inline constexpr std::string_view header =
    "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' "
    "to='example.com' version='1.0'>";

struct parse_result {
  std::vector<stream_event> events;
  error_code ec;
  unsigned hibernations = 0;
};

inline std::vector<stream_event> drain(stream_parser& p) {
  std::vector<stream_event> out;
  while (auto e = p.next()) out.push_back(std::move(*e));
  return out;
}

// Feeds in slices of chunk bytes (0: all at once), collecting events as they come, and
// with hibernate, letting the parser hibernate after each slice where it can.
inline parse_result parse(std::string_view in, std::size_t chunk = 0, parser_limits limits = {},
                          bool hibernate = false) {
  stream_parser p(limits);
  parse_result r;
  if (chunk == 0) chunk = in.size() + 1;
  for (std::size_t at = 0; at < in.size() && !r.ec; at += chunk) {
    r.ec = p.feed(in.substr(at, chunk));
    for (auto& e : drain(p)) r.events.push_back(std::move(e));
    if (hibernate) r.hibernations += p.hibernate();
  }
  return r;
}

// The stanzas of a stream, in order.
inline std::vector<core::element> stanzas(const parse_result& r) {
  std::vector<core::element> out;
  for (const auto& e : r.events)
    if (auto* s = std::get_if<stanza_event>(&e)) out.push_back(s->xml);
  return out;
}

// Parses one serialized stanza inside a jabber:client stream.
inline core::element reparse(std::string_view stanza_xml) {
  auto r = parse(std::string(header) + std::string(stanza_xml));
  auto s = stanzas(r);
  return s.size() == 1 && !r.ec ? s.front() : core::element("parse-failed");
}

}  // namespace ofs::xml::test
