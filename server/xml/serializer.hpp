#pragma once
// Writes element trees as XML for a stream: the hot path of every delivery, so it appends
// into one caller-owned string. Parsing what it writes gives back the same tree.
#include <string>
#include <string_view>

#include "server/core/element.hpp"
#include "server/core/stanza.hpp"

namespace ofs::xml {

// Appends e to out. parent_xmlns is the default namespace in scope where e is written (the
// stream's content namespace for a stanza); xmlns="..." is written only where an element's
// namespace differs from it. Elements in http://etherx.jabber.org/streams are written with
// the "stream:" prefix that every stream header binds (COMPAT: clients that match
// <stream:features> and <stream:error> literally). Attribute names "{uri}local" (as the
// parser produces them) get a prefix declared on their element; attributes named xmlns or
// xmlns:* are skipped, since the serializer owns namespace declarations. Characters XML 1.0
// cannot carry (C0 controls other than tab, LF, CR) are dropped.
void serialize(const core::element& e, std::string& out, std::string_view parent_xmlns);

// How one transport writes top-level elements. TCP: inside <stream:stream>, which declares
// jabber:client and the stream: prefix. WebSocket (RFC 7395 3.3.3): every message is a
// document, so content_ns is empty (each element declares its namespace) and a stream:
// element declares the prefix itself.
struct write_context {
  std::string_view content_ns = "jabber:client";
  bool declare_stream_prefix = false;
};
void serialize(const core::element& e, std::string& out, const write_context& ctx);
std::string to_string(const core::element& e, std::string_view parent_xmlns = "jabber:client");
// A stanza: the same as its xml(), but a stanza with a shared payload (a broadcast) gets only
// its head written here, with its own 'to', and the payload serialized once appended.
void serialize(const core::stanza& s, std::string& out, const write_context& ctx);
// The children of e, as share_payload() wants them.
std::string serialize_children(const core::element& e);

// Escaping for hand-written markup such as the stream header. Text escapes & < > (and CR,
// which a parser would turn into LF); attribute values also escape " ' and tab, LF, CR,
// which attribute normalization would turn into spaces.
void append_escaped_text(std::string_view text, std::string& out);
void append_escaped_attr(std::string_view value, std::string& out);

}  // namespace ofs::xml
