#include "bosh/body.hpp"

#include <charconv>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"

namespace ofs::bosh {
namespace {

bool is_space(std::string_view t) { return t.find_first_not_of(" \t\r\n") == std::string_view::npos; }

std::optional<std::uint64_t> parse_number(std::string_view v) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (v.empty() || ec != std::errc() || end != v.data() + v.size()) return std::nullopt;
  return n;
}

// COMPAT: some clients leave stanzas in the body's namespace (XEP-0206 section 2, note);
// they are jabber:client, as on a TCP stream.
void to_client_namespace(core::element& e) {
  if (e.xmlns() == httpbind_ns) e.set_xmlns("jabber:client");
  for (auto& c : e.children())
    if (!c.is_text()) to_client_namespace(c);
}

}  // namespace

std::optional<std::uint64_t> request_body::number(std::string_view name) const {
  return parse_number(xml.attr(name));
}

std::optional<request_body> parse_body(std::string_view text, std::size_t max_bytes, std::string& why) {
  xml::parser_limits limits;
  limits.max_stanza_bytes = max_bytes;
  xml::stream_parser parser(limits);
  if (auto ec = parser.feed_document(text)) {
    why = "not a well-formed XML document: " + parser.error_detail();
    return std::nullopt;
  }
  auto ev = parser.next();
  auto* root = ev ? std::get_if<xml::stanza_event>(&*ev) : nullptr;
  if (!root || root->xml.name() != "body" || root->xml.xmlns() != httpbind_ns) {
    why = "the document is not a <body/> in " + std::string(httpbind_ns);
    return std::nullopt;
  }
  request_body b;
  b.xml = std::move(root->xml);
  auto rid = parse_number(b.xml.attr("rid"));
  // XEP-0124 section 14.1: rid is a positive integer below 2^53.
  if (!rid || *rid == 0 || *rid >= (std::uint64_t{1} << 53)) {
    why = "'rid' must be a positive integer below 2^53";
    return std::nullopt;
  }
  b.rid = *rid;
  for (auto& child : b.xml.children()) {
    if (child.is_text()) {
      if (is_space(child.content())) continue;
      why = "text directly inside <body/>";
      return std::nullopt;
    }
    to_client_namespace(child);
    b.payload.push_back(xml::to_string(child, ""));
  }
  b.xml.children().clear();
  return b;
}

void append_attr(std::string& out, std::string_view name, std::string_view value) {
  out.append(" ").append(name).append("='");
  xml::append_escaped_attr(value, out);
  out.append("'");
}

std::string response(std::string_view attributes, const std::vector<std::string>& payload) {
  std::string out = "<body xmlns='";
  out.append(httpbind_ns).append("'").append(attributes);
  if (payload.empty()) return out.append("/>");
  out.append(" xmlns:stream='").append(streams_ns).append("'>");
  for (const auto& p : payload) out.append(p);
  return out.append("</body>");
}

std::string terminate(std::string_view condition, const std::vector<std::string>& payload) {
  std::string attrs = " type='terminate'";
  if (!condition.empty()) append_attr(attrs, "condition", condition);
  return response(attrs, payload);
}

}  // namespace ofs::bosh
