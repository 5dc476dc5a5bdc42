// Arbitrary bytes into stream_parser. Checks: feeding in chunks (and hibernating between
// them) gives the same events and error as one feed, and every stanza survives serialize() +
// reparse unchanged. Input: byte 0 picks the chunk size (bits 0-5), hibernation after each
// chunk (bit 6) and small limits (bit 7); the rest is the stream.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "tests/unit/xml/parse_helpers.hpp"

namespace {

using namespace ofs::xml;

void require(bool ok, const char* what, const std::string& detail) {
  if (ok) return;
  std::fprintf(stderr, "%s\n%s\n", what, detail.c_str());
  std::abort();
}

// Room for what the serializer adds (escapes, one prefix declaration per attribute namespace).
parser_limits roomy() {
  parser_limits l;
  l.max_stanza_bytes = 64 * 1024 * 1024;
  l.max_attributes = 1024;
  l.max_namespaces = 1024;
  return l;
}

void check_round_trip(const ofs::core::element& stanza) {
  std::string xml(test::header);
  serialize(stanza, xml, "jabber:client");
  auto again = test::parse(xml, 0, roomy());
  require(!again.ec, "serialized stanza does not parse", again.ec.message() + ": " + xml);
  require(again.events.size() == 2, "serialized stanza gives other events", xml);
  const auto& back = std::get<stanza_event>(again.events[1]).xml;
  require(test::same_tree(back, stanza), "round trip changed the stanza",
          xml + "\nreparsed: " + to_string(back));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t mode = data[0];
  std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
  parser_limits limits;
  if (mode & 0x80) {
    limits.max_stanza_bytes = 512;
    limits.max_depth = 6;
    limits.max_attributes = 4;
    limits.max_namespaces = 3;
  }
  auto whole = test::parse(in, 0, limits);
  auto pieces = test::parse(in, (mode & 0x3f) + 1u, limits, (mode & 0x40) != 0);

  // Two errors may depend on the chunking: the size limit, checked per feed, and text at
  // stream level, refused as soon as expat reports text, which it does in chunk-sized pieces
  // (so it can pre-empt a not-well-formed token later in the same run of text).
  auto chunk_dependent = [&](parser_error e) { return whole.ec == e || pieces.ec == e; };
  if (!chunk_dependent(parser_error::stanza_too_big)) {
    if (!chunk_dependent(parser_error::bad_format))
      require(whole.ec == pieces.ec, "chunking changed the error",
              whole.ec.message() + " vs " + pieces.ec.message());
    require(test::same_events(whole.events, pieces.events), "chunking changed the events",
            test::describe(whole.events) + "---\n" + test::describe(pieces.events));
  }
  for (const auto& e : whole.events)
    if (auto* s = std::get_if<stanza_event>(&e)) check_round_trip(s->xml);
  return 0;
}
