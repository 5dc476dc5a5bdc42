#pragma once
// The <body/> wrapper of XEP-0124: parsing a request's body (restricted XML, as for streams)
// and writing the responses. Pure functions, no I/O.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "server/core/element.hpp"

namespace ofs::bosh {

inline constexpr std::string_view httpbind_ns = "http://jabber.org/protocol/httpbind";
inline constexpr std::string_view xbosh_ns = "urn:xmpp:xbosh";
inline constexpr std::string_view streams_ns = "http://etherx.jabber.org/streams";

// A request's <body/>: its attributes, and each child as an XML document for the stream
// driver (stanzas in the httpbind namespace moved to jabber:client).
struct request_body {
  core::element xml;  // the <body/> element itself, children removed
  std::uint64_t rid = 0;
  std::vector<std::string> payload;

  std::string_view sid() const { return xml.attr("sid"); }
  bool terminate() const { return xml.attr("type") == "terminate"; }
  bool restart() const { return xml.attr("{urn:xmpp:xbosh}restart") == "true"; }
  // An unsigned attribute, or nothing when absent or not a number.
  std::optional<std::uint64_t> number(std::string_view name) const;
};

// Parses one request body of at most max_bytes; nothing, and why set, if it is not a
// well-formed <body/> with a numeric rid (XEP-0124 'bad-request').
std::optional<request_body> parse_body(std::string_view text, std::size_t max_bytes, std::string& why);

// Response writing. attributes are already escaped, each with a leading space.
std::string response(std::string_view attributes, const std::vector<std::string>& payload);
// <body type='terminate' condition='...'/>; condition may be empty (a client's terminate).
std::string terminate(std::string_view condition, const std::vector<std::string>& payload = {});
// ' name='value'', escaped.
void append_attr(std::string& out, std::string_view name, std::string_view value);

}  // namespace ofs::bosh
