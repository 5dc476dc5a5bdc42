#pragma once
// Incremental XMPP stream parser on expat: bytes in, stream events or one typed error out.
// One per connection, touched only from that connection's strand; reset() at each stream
// restart (after STARTTLS or SASL success). Expat stays out of this header.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "server/core/element.hpp"
#include "server/core/result.hpp"

namespace ofs::xml {

// Why a stream cannot go on; stream_condition() names the RFC 6120 4.9.3 condition for each.
enum class parser_error {
  not_well_formed = 1,   // also invalid UTF-8 and mismatched tags
  restricted_xml,        // DTD, entity declaration or reference, comment, PI (RFC 6120 11.1)
  stanza_too_big,        // policy-violation: more than max_stanza_bytes between stanzas
  too_deep,              // policy-violation
  too_many_attributes,   // policy-violation
  too_many_namespaces,   // policy-violation
  bad_namespace_prefix,  // an unbound or reserved prefix
  invalid_namespace,     // the root is not <stream> in http://etherx.jabber.org/streams
  unsupported_encoding,  // a declared or detected encoding other than UTF-8
  bad_format,            // anything else, e.g. text at stream level
};
const boost::system::error_category& parser_category();
inline error_code make_error_code(parser_error e) { return {static_cast<int>(e), parser_category()}; }
// "not-well-formed", "policy-violation", ...: the element name of the stream error to send.
std::string_view stream_condition(parser_error e);

struct parser_limits {
  std::size_t max_stanza_bytes = 256 * 1024;  // also bounds the stream header
  std::size_t max_depth = 64;                 // the stream element is depth 1, stanzas 2
  std::size_t max_attributes = 64;            // per element
  std::size_t max_namespaces = 32;            // declarations per element
};

constexpr std::string_view framing_ns = "urn:ietf:params:xml:ns:xmpp-framing";

// <stream:stream ...>: header holds its attributes (to, from, version, id, "xml:lang");
// default_ns is the content namespace it declared ("jabber:client"), empty if none.
struct open_event {
  core::element header;
  std::string default_ns;
};
// A complete depth-2 element, namespaces resolved, attributes unescaped.
struct stanza_event {
  core::element xml;
};
// </stream:stream>
struct close_event {};
using stream_event = std::variant<open_event, stanza_event, close_event>;

namespace detail {
struct parser_state;
}

class stream_parser {
public:
  explicit stream_parser(parser_limits limits = {});
  ~stream_parser();
  stream_parser(stream_parser&&) noexcept;
  stream_parser& operator=(stream_parser&&) noexcept;

  // Parses what it can; queued events are then taken with next(). Returns the error once
  // one is found, and the same error for every later call (until reset()).
  error_code feed(std::string_view bytes);
  // Document mode (RFC 7395 WebSocket messages, BOSH payloads): doc is one complete XML
  // document. <open/> in urn:ietf:params:xml:ns:xmpp-framing gives an open_event (content
  // namespace jabber:client), <close/> there a close_event, any other root a stanza_event.
  // Same limits, restricted-XML rules and errors as feed(); every document gets a fresh
  // expat parser, so a framed session holds none between messages.
  error_code feed_document(std::string_view doc);
  std::optional<stream_event> next();
  // A fresh stream: new expat parser, no error, queued events and buffered bytes dropped
  // (bytes pipelined after <starttls/> must not reach the new stream).
  void reset();
  // Between stanzas, frees expat and the buffers (about 10 KiB) of an idle stream; the next
  // feed() rebuilds them by replaying the stream header. False, and nothing done, when a
  // stanza, an event or unparsed bytes are pending.
  bool hibernate();

  error_code error() const;
  // For logs: what went wrong and where, e.g. "line 1, column 40: mismatched tag".
  const std::string& error_detail() const;
  const parser_limits& limits() const;

private:
  std::unique_ptr<detail::parser_state> state_;
};

}  // namespace ofs::xml

template <>
struct boost::system::is_error_code_enum<ofs::xml::parser_error> : std::true_type {};
