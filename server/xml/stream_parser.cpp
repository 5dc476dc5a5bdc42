#include "server/xml/stream_parser.hpp"

#include <expat.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <new>
#include <utility>
#include <vector>

namespace ofs::xml {
namespace {

// Expat joins "uri<sep>local". U+0001 is not allowed anywhere in XML 1.0, not even as a
// character reference, so it can never be part of a namespace URI.
constexpr XML_Char ns_sep = '\x01';
// Expat is fed at most this much at once, so the size limit is checked often enough to keep
// memory bounded even inside one huge token (an attribute value, a comment).
constexpr std::size_t slice_bytes = 64 * 1024;
constexpr std::string_view xml_ns = "http://www.w3.org/XML/1998/namespace";
constexpr std::string_view streams_ns = "http://etherx.jabber.org/streams";

struct qname {
  std::string_view uri, local;
};

qname split(const XML_Char* name) {
  std::string_view n(name);
  auto sep = n.find(ns_sep);
  if (sep == std::string_view::npos) return {{}, n};
  return {n.substr(0, sep), n.substr(sep + 1)};
}

bool is_xml_space(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

bool valid_start(std::string_view first) {
  auto b0 = static_cast<unsigned char>(first[0]);
  return b0 != 0x00 && b0 != 0xFE && b0 != 0xFF && (first.size() < 2 || first[1] != '\0');
}

bool is_utf8_name(const XML_Char* enc) {
  std::string_view e(enc);
  constexpr std::string_view want = "utf-8";
  return e.size() == want.size() && std::equal(e.begin(), e.end(), want.begin(), [](char a, char b) {
           return (a >= 'A' && a <= 'Z' ? a - 'A' + 'a' : a) == b;
         });
}

parser_error from_expat(XML_Error code) {
  switch (code) {
    case XML_ERROR_UNDEFINED_ENTITY:
    case XML_ERROR_PARAM_ENTITY_REF:
    case XML_ERROR_RECURSIVE_ENTITY_REF:
    case XML_ERROR_BINARY_ENTITY_REF:
    case XML_ERROR_ATTRIBUTE_EXTERNAL_ENTITY_REF:
    case XML_ERROR_EXTERNAL_ENTITY_HANDLING:
    case XML_ERROR_ENTITY_DECLARED_IN_PE:
    case XML_ERROR_NOT_STANDALONE:
    case XML_ERROR_AMPLIFICATION_LIMIT_BREACH: return parser_error::restricted_xml;
    case XML_ERROR_UNBOUND_PREFIX:
    case XML_ERROR_UNDECLARING_PREFIX:
    case XML_ERROR_RESERVED_PREFIX_XML:
    case XML_ERROR_RESERVED_PREFIX_XMLNS:
    case XML_ERROR_RESERVED_NAMESPACE_URI: return parser_error::bad_namespace_prefix;
    case XML_ERROR_UNKNOWN_ENCODING:
    case XML_ERROR_INCORRECT_ENCODING: return parser_error::unsupported_encoding;
    default: return parser_error::not_well_formed;
  }
}

class parser_category_impl final : public boost::system::error_category {
public:
  const char* name() const noexcept override { return "xmpp.stream"; }
  std::string message(int ev) const override {
    switch (static_cast<parser_error>(ev)) {
      case parser_error::not_well_formed: return "XML not well-formed";
      case parser_error::restricted_xml: return "restricted XML (DTD, entity, comment or PI)";
      case parser_error::stanza_too_big: return "stanza too big";
      case parser_error::too_deep: return "elements nested too deeply";
      case parser_error::too_many_attributes: return "too many attributes";
      case parser_error::too_many_namespaces: return "too many namespace declarations";
      case parser_error::bad_namespace_prefix: return "unbound or reserved namespace prefix";
      case parser_error::invalid_namespace: return "not a stream element in the streams namespace";
      case parser_error::unsupported_encoding: return "encoding other than UTF-8";
      case parser_error::bad_format: return "XML that cannot be processed";
    }
    return "unknown stream parser error";
  }
};

}  // namespace

const boost::system::error_category& parser_category() {
  static const parser_category_impl instance;
  return instance;
}

std::string_view stream_condition(parser_error e) {
  switch (e) {
    case parser_error::not_well_formed: return "not-well-formed";
    case parser_error::restricted_xml: return "restricted-xml";
    case parser_error::stanza_too_big:
    case parser_error::too_deep:
    case parser_error::too_many_attributes:
    case parser_error::too_many_namespaces: return "policy-violation";
    case parser_error::bad_namespace_prefix: return "bad-namespace-prefix";
    case parser_error::invalid_namespace: return "invalid-namespace";
    case parser_error::unsupported_encoding: return "unsupported-encoding";
    case parser_error::bad_format: return "bad-format";
  }
  return "undefined-condition";
}

struct detail::parser_state {
  explicit parser_state(parser_limits l) : limits(l) { start(); }
  ~parser_state() { XML_ParserFree(xp); }
  parser_state(const parser_state&) = delete;
  parser_state& operator=(const parser_state&) = delete;

  void start();
  void restart();
  bool hibernate();
  void wake();
  error_code feed(std::string_view bytes);
  error_code feed_document(std::string_view doc);
  error_code parse(std::string_view slice, bool final = false);

  // Expat callbacks (through trampolines that keep C++ exceptions out of expat).
  void start_element(const XML_Char* name, const XML_Char** atts);
  void end_element(const XML_Char* name);
  void character_data(const XML_Char* s, int len);
  void start_namespace(const XML_Char* prefix, const XML_Char* uri);
  void xml_decl(const XML_Char* version, const XML_Char* encoding, int standalone);
  void restricted(std::string_view what) { fail(parser_error::restricted_xml, what); }
  void comment(const XML_Char*) { restricted("comment"); }
  void processing_instruction(const XML_Char*, const XML_Char*) { restricted("processing instruction"); }
  void doctype(const XML_Char*, const XML_Char*, const XML_Char*, int) { restricted("DTD"); }
  void entity_decl(const XML_Char*, int, const XML_Char*, int, const XML_Char*, const XML_Char*,
                   const XML_Char*, const XML_Char*) {
    restricted("entity declaration");
  }
  void skipped_entity(const XML_Char*, int) { restricted("entity reference"); }

  void fail(parser_error e, std::string_view what);
  std::uint64_t event_end() const {
    return static_cast<std::uint64_t>(XML_GetCurrentByteIndex(xp)) +
           static_cast<std::uint64_t>(XML_GetCurrentByteCount(xp));
  }
  std::string_view attribute_name(const XML_Char* raw);
  void flush_text() {
    if (text.empty()) return;
    open.back().add_text(std::move(text));
    text.clear();
  }

  parser_limits limits;
  XML_Parser xp = nullptr;
  bool parsing = false;  // inside XML_Parse, where XML_StopParser applies
  error_code error;
  std::string detail;
  std::exception_ptr pending;        // thrown inside a callback; rethrown by feed()
  std::vector<stream_event> events;  // taken from next_event on
  std::size_t next_event = 0;
  std::vector<core::element> open;  // the stanza being built, outermost first
  std::string text;                 // character data not yet added to open.back()
  std::string name_buf;             // scratch for qualified attribute names
  std::string default_ns;
  std::string head;  // a first byte held back until the second arrives
  std::size_t depth = 0, ns_decls = 0;
  std::uint64_t fed = 0;   // bytes given to expat since the stream (re)started
  std::uint64_t mark = 0;  // end of the last stanza, header or keep-alive
  // The stream's first bytes up to the end of its header: replayed into a fresh expat parser
  // after hibernation, so that the stanzas that follow see the same namespace bindings.
  std::string header_bytes;
  std::size_t header_end = 0;  // 0 until the header has been parsed
  bool replaying = false;
  // Document mode: the root is at depth 2, like a stanza; framing_root is set while the
  // root is a framing <open/> or <close/>, which must stay empty.
  bool documents = false;
  bool framing_root = false;
};

namespace {

// Binds a parser_state member function to expat's C callback signature.
template <auto M>
struct callback;
template <class... A, void (detail::parser_state::*M)(A...)>
struct callback<M> {
  static void XMLCALL call(void* user, A... args) {
    auto* self = static_cast<detail::parser_state*>(user);
    try {
      (self->*M)(args...);
    } catch (...) {  // never unwind through expat's C frames
      self->pending = std::current_exception();
      XML_StopParser(self->xp, XML_FALSE);
    }
  }
};

}  // namespace

void detail::parser_state::start() {
  // UTF-8 is forced: a declared encoding is checked in xml_decl, never obeyed.
  xp = XML_ParserCreateNS("UTF-8", ns_sep);
  if (!xp) throw std::bad_alloc();
  using self = detail::parser_state;
  XML_SetUserData(xp, this);
  XML_SetElementHandler(xp, &callback<&self::start_element>::call, &callback<&self::end_element>::call);
  XML_SetCharacterDataHandler(xp, &callback<&self::character_data>::call);
  XML_SetStartNamespaceDeclHandler(xp, &callback<&self::start_namespace>::call);
  XML_SetXmlDeclHandler(xp, &callback<&self::xml_decl>::call);
  XML_SetCommentHandler(xp, &callback<&self::comment>::call);
  XML_SetProcessingInstructionHandler(xp, &callback<&self::processing_instruction>::call);
  XML_SetStartDoctypeDeclHandler(xp, &callback<&self::doctype>::call);
  XML_SetEntityDeclHandler(xp, &callback<&self::entity_decl>::call);
  XML_SetSkippedEntityHandler(xp, &callback<&self::skipped_entity>::call);
}

void detail::parser_state::restart() {
  XML_ParserFree(std::exchange(xp, nullptr));
  error.clear();
  detail.clear();
  pending = nullptr;
  events.clear();
  next_event = 0;
  open.clear();
  text.clear();
  default_ns.clear();
  head.clear();
  depth = ns_decls = 0;
  fed = mark = 0;
  header_bytes.clear();
  header_end = 0;
  start();
}

bool detail::parser_state::hibernate() {
  if (documents) {
    if (!xp || error || next_event != events.size()) return false;
    XML_ParserFree(std::exchange(xp, nullptr));
    std::vector<stream_event>().swap(events);
    next_event = 0;
    return true;
  }
  const bool between_stanzas = xp && !error && header_end > 0 && depth == 1 && open.empty() && text.empty() &&
                               next_event == events.size() && mark == fed;
  if (!between_stanzas) return false;
  XML_ParserFree(std::exchange(xp, nullptr));
  std::vector<stream_event>().swap(events);
  std::vector<core::element>().swap(open);
  next_event = 0;
  std::string().swap(text);
  std::string().swap(name_buf);
  return true;
}

void detail::parser_state::wake() {
  start();
  fed = mark = 0;
  depth = ns_decls = 0;
  replaying = true;
  auto ec = parse(header_bytes);
  replaying = false;
  if (!ec && (depth != 1 || fed != header_end)) fail(parser_error::bad_format, "stream header replay failed");
}

error_code detail::parser_state::feed(std::string_view bytes) {
  if (error) return error;
  if (fed == 0) {
    // Expat's detection switches to UTF-16 on a BOM or a NUL among the first two bytes even
    // when told UTF-8 (found by fuzzing). None of those can start UTF-8 XML, so they are
    // refused before expat sees a byte; a lone first byte waits for the second.
    if (head.size() + bytes.size() < 2) {
      head.append(bytes);
      if (!head.empty() && !valid_start(head))
        fail(parser_error::unsupported_encoding, "stream is not UTF-8");
      return error;
    }
    if (!head.empty()) {
      std::string first_two = std::exchange(head, {}) + bytes.front();
      if (auto ec = feed(first_two)) return ec;
      return feed(bytes.substr(1));
    }
    if (!valid_start(bytes.substr(0, 2))) {
      fail(parser_error::unsupported_encoding, "stream is not UTF-8");
      return error;
    }
  }
  if (!xp) wake();
  while (!bytes.empty() && !error) {
    auto n = std::min(bytes.size(), slice_bytes);
    if (header_end == 0) header_bytes.append(bytes.substr(0, n));
    if (auto ec = parse(bytes.substr(0, n))) return ec;
    if (header_end > 0 && header_bytes.size() > header_end) header_bytes.resize(header_end);
    bytes.remove_prefix(n);
  }
  return error;
}

error_code detail::parser_state::feed_document(std::string_view doc) {
  if (error) return error;
  documents = true;
  if (xp) XML_ParserFree(std::exchange(xp, nullptr));
  start();
  open.clear();
  text.clear();
  depth = 1;  // as if inside a stream element: the root is a top-level element
  ns_decls = 0;
  fed = mark = 0;
  framing_root = false;
  if (doc.size() > limits.max_stanza_bytes) {
    fail(parser_error::stanza_too_big, "document bigger than the limit");
    return error;
  }
  if (!doc.empty() && !valid_start(doc.substr(0, 2))) {
    fail(parser_error::unsupported_encoding, "document is not UTF-8");
    return error;
  }
  return parse(doc, true);  // final: expat checks that the document is complete
}

error_code detail::parser_state::parse(std::string_view slice, bool final) {
  fed += slice.size();
  parsing = true;
  auto status = XML_Parse(xp, slice.data(), static_cast<int>(slice.size()), final ? XML_TRUE : XML_FALSE);
  parsing = false;
  if (pending) {
    error = parser_error::bad_format;
    detail = "internal error while parsing";
    std::rethrow_exception(std::exchange(pending, nullptr));
  }
  if (status != XML_STATUS_OK) {
    auto code = XML_GetErrorCode(xp);
    if (code == XML_ERROR_NO_MEMORY) throw std::bad_alloc();
    if (!error) fail(from_expat(code), XML_ErrorString(code));
    return error;
  }
  if (fed - mark > limits.max_stanza_bytes)
    fail(parser_error::stanza_too_big, "stanza bigger than the limit");
  return error;
}

void detail::parser_state::fail(parser_error e, std::string_view what) {
  if (error) return;
  error = e;
  detail = "line " + std::to_string(XML_GetCurrentLineNumber(xp)) + ", column " +
           std::to_string(XML_GetCurrentColumnNumber(xp)) + ": ";
  detail += what;
  if (parsing) XML_StopParser(xp, XML_FALSE);
}

std::string_view detail::parser_state::attribute_name(const XML_Char* raw) {
  auto [uri, local] = split(raw);
  if (uri.empty()) return local;
  name_buf.clear();
  if (uri == xml_ns) return name_buf.append("xml:").append(local);
  // Clark notation "{uri}local": element keeps no prefixes, and no XML name contains '{'.
  return name_buf.append("{").append(uri).append("}").append(local);
}

void detail::parser_state::start_namespace(const XML_Char* prefix, const XML_Char* uri) {
  if (error) return;
  if (++ns_decls > limits.max_namespaces)
    return fail(parser_error::too_many_namespaces, "too many namespace declarations");
  if (depth == 0 && !prefix) default_ns = uri ? uri : "";  // declared on the stream element
}

void detail::parser_state::start_element(const XML_Char* name, const XML_Char** atts) {
  if (error) return;
  ns_decls = 0;
  if (++depth > limits.max_depth) return fail(parser_error::too_deep, "elements nested too deeply");
  std::size_t count = 0;
  while (atts[2 * count]) ++count;
  if (count > limits.max_attributes) return fail(parser_error::too_many_attributes, "too many attributes");

  auto [uri, local] = split(name);
  core::element e{std::string(local), std::string(uri)};
  for (std::size_t i = 0; i < count; ++i) e.set_attr(attribute_name(atts[2 * i]), atts[2 * i + 1]);

  if (documents && framing_root)
    return fail(parser_error::bad_format, "<open/> and <close/> have no children");
  if (documents && depth == 2 && uri == framing_ns && (local == "open" || local == "close")) {
    framing_root = true;
    if (local == "open")
      events.push_back(open_event{std::move(e), "jabber:client"});  // RFC 7395 3.3.2
    else
      events.emplace_back(std::in_place_type<close_event>);
    return;
  }
  if (depth == 1 && !documents) {
    if (uri != streams_ns || local != "stream")
      return fail(parser_error::invalid_namespace, "root is not <stream> in the streams namespace");
    mark = event_end();
    if (replaying) return;  // the peer's header was reported when it came
    header_end = static_cast<std::size_t>(mark);
    events.push_back(open_event{std::move(e), default_ns});
    return;
  }
  if (!open.empty()) flush_text();
  open.push_back(std::move(e));
}

void detail::parser_state::end_element(const XML_Char*) {
  if (error) return;
  if (framing_root) {
    --depth;
    return;
  }
  if (depth-- == 1) {
    events.push_back(close_event{});
    mark = event_end();
    return;
  }
  flush_text();
  core::element done = std::move(open.back());
  open.pop_back();
  if (!open.empty()) {
    open.back().add_child(std::move(done));
    return;
  }
  auto end = event_end();
  if (end - mark > limits.max_stanza_bytes)
    return fail(parser_error::stanza_too_big, "stanza bigger than the limit");
  mark = end;
  events.emplace_back(std::in_place_type<stanza_event>, stanza_event{std::move(done)});
}

void detail::parser_state::character_data(const XML_Char* s, int len) {
  if (error) return;
  std::string_view t(s, static_cast<std::size_t>(len));
  if (!open.empty()) {
    text.append(t);  // expat may split text anywhere; joined at the next tag
    return;
  }
  if (framing_root && is_xml_space(t)) return;
  if (depth == 1 && is_xml_space(t)) {  // a keep-alive between stanzas
    mark = event_end();
    return;
  }
  fail(parser_error::bad_format, "text at stream level");
}

void detail::parser_state::xml_decl(const XML_Char*, const XML_Char* encoding, int) {
  if (error) return;
  if (encoding && !is_utf8_name(encoding))
    fail(parser_error::unsupported_encoding, std::string("declared encoding ") + encoding);
}

stream_parser::stream_parser(parser_limits limits) : state_(std::make_unique<detail::parser_state>(limits)) {}
stream_parser::~stream_parser() = default;
stream_parser::stream_parser(stream_parser&&) noexcept = default;
stream_parser& stream_parser::operator=(stream_parser&&) noexcept = default;

error_code stream_parser::feed(std::string_view bytes) { return state_->feed(bytes); }
error_code stream_parser::feed_document(std::string_view doc) { return state_->feed_document(doc); }

std::optional<stream_event> stream_parser::next() {
  auto& st = *state_;
  if (st.next_event == st.events.size()) return std::nullopt;
  stream_event e = std::move(st.events[st.next_event++]);
  if (st.next_event == st.events.size()) {
    st.events.clear();
    st.next_event = 0;
  }
  return e;
}

bool stream_parser::hibernate() { return state_->hibernate(); }

void stream_parser::reset() { state_->restart(); }
error_code stream_parser::error() const { return state_->error; }
const std::string& stream_parser::error_detail() const { return state_->detail; }
const parser_limits& stream_parser::limits() const { return state_->limits; }

}  // namespace ofs::xml
