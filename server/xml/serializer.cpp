#include "server/xml/serializer.hpp"

#include <charconv>
#include <vector>

namespace ofs::xml {
namespace {

constexpr std::string_view streams_ns = "http://etherx.jabber.org/streams";
constexpr std::string_view xml_ns = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view xmlns_ns = "http://www.w3.org/2000/xmlns/";

// Copies runs of plain bytes in one append; only special bytes cost a branch.
template <bool Attr>
void escape(std::string_view s, std::string& out) {
  std::size_t run = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    std::string_view rep;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;  // also keeps "]]>" out of text
      case '\r': rep = "&#13;"; break;
      case '"':
        if (!Attr) continue;
        rep = "&quot;";
        break;
      case '\'':
        if (!Attr) continue;
        rep = "&apos;";
        break;
      case '\t':
        if (!Attr) continue;
        rep = "&#9;";
        break;
      case '\n':
        if (!Attr) continue;
        rep = "&#10;";
        break;
      default:
        if (static_cast<unsigned char>(s[i]) >= 0x20) continue;
        break;  // a C0 control: XML 1.0 has no way to write it, so it is dropped
    }
    out.append(s.data() + run, i - run).append(rep);
    run = i + 1;
  }
  out.append(s.data() + run, s.size() - run);
}

void append_prefix(std::size_t index, std::string& out) {
  char digits[24];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, index);
  out.append("ns").append(digits, end);
}

// A "{uri}local" attribute gets prefix nsN, declared on this element the first time its uri
// appears; uris is only allocated for the rare element that has such attributes.
void write_attributes(const core::element& e, std::string& out, std::string_view skip = {}) {
  std::vector<std::string_view> uris;
  for (const auto& a : e.attributes()) {
    std::string_view name = a.name;
    if (name == "xmlns" || name.starts_with("xmlns:") || name == skip) continue;
    std::string_view uri;
    if (name.starts_with('{')) {
      if (auto close = name.rfind('}'); close != std::string_view::npos) {  // a URI may hold '}'
        uri = name.substr(1, close - 1);
        name = name.substr(close + 1);
      }
    }
    if (uri == xmlns_ns) continue;
    out += ' ';
    if (uri == xml_ns) {
      out += "xml:";
    } else if (!uri.empty()) {
      std::size_t i = 0;
      while (i < uris.size() && uris[i] != uri) ++i;
      if (i == uris.size()) {
        uris.push_back(uri);
        out += "xmlns:";
        append_prefix(i, out);
        out += "=\"";
        escape<true>(uri, out);
        out += "\" ";
      }
      append_prefix(i, out);
      out += ':';
    }
    out += name;
    out += "=\"";
    escape<true>(a.value, out);
    out += '"';
  }
}

void write(const core::element& e, std::string& out, std::string_view scope, bool declare_prefix = false) {
  if (e.is_text()) {
    escape<false>(e.text(), out);
    return;
  }
  const bool prefixed = e.xmlns() != scope && e.xmlns() == streams_ns;
  out += '<';
  if (prefixed) out += "stream:";
  out += e.name();
  if (prefixed && declare_prefix) {
    out += " xmlns:stream=\"";
    out += streams_ns;
    out += '"';
  }
  std::string_view child_scope = scope;  // a prefixed element leaves the default alone
  if (!prefixed && e.xmlns() != scope) {
    out += " xmlns=\"";
    escape<true>(e.xmlns(), out);
    out += '"';
    child_scope = e.xmlns();
  }
  write_attributes(e, out);
  if (e.children().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& c : e.children()) write(c, out, child_scope);
  out += "</";
  if (prefixed) out += "stream:";
  out += e.name();
  out += '>';
}

}  // namespace

void serialize(const core::element& e, std::string& out, std::string_view parent_xmlns) {
  write(e, out, parent_xmlns);
}

void serialize(const core::element& e, std::string& out, const write_context& ctx) {
  write(e, out, ctx.content_ns, ctx.declare_stream_prefix);
}

std::string to_string(const core::element& e, std::string_view parent_xmlns) {
  std::string out;
  write(e, out, parent_xmlns);
  return out;
}

void serialize(const core::stanza& s, std::string& out, const write_context& ctx) {
  const auto& payload = s.shared_payload();
  const core::element& e = s.shared_xml();
  if (!payload || e.xmlns() == streams_ns)
    return write(s.xml(), out, ctx.content_ns, ctx.declare_stream_prefix);
  out += '<';
  out += e.name();
  if (e.xmlns() != ctx.content_ns) {
    out += " xmlns=\"";
    escape<true>(e.xmlns(), out);
    out += '"';
  }
  write_attributes(e, out, "to");
  if (!s.to().empty()) {
    out += " to=\"";
    escape<true>(s.to().str(), out);
    out += '"';
  }
  if (payload->empty()) {
    out += "/>";
    return;
  }
  out += '>';
  out += *payload;
  out += "</";
  out += e.name();
  out += '>';
}

std::string serialize_children(const core::element& e) {
  std::string out;
  for (const auto& c : e.children()) write(c, out, e.xmlns());
  return out;
}

void append_escaped_text(std::string_view text, std::string& out) { escape<false>(text, out); }
void append_escaped_attr(std::string_view value, std::string& out) { escape<true>(value, out); }

}  // namespace ofs::xml
