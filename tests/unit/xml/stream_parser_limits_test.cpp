// The stream parser's limits: size, depth, attribute and namespace counts, bounded memory.
#include <gtest/gtest.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "server/xml/stream_parser.hpp"
#include "tests/unit/xml/parse_helpers.hpp"

namespace ofs::xml {
namespace {

using test::header;
using test::parse;

// Heap in use, or 0 where it cannot be read (sanitizers replace malloc).
std::size_t heap_in_use() {
#if defined(__GLIBC__) && !defined(__SANITIZE_ADDRESS__)
  auto m = mallinfo2();
  return m.uordblks + m.hblkhd;
#else
  return 0;
#endif
}

struct flood_result {
  error_code ec;
  std::size_t fed = 0;        // bytes fed when the error came
  std::size_t peak_heap = 0;  // growth over the start, at its highest
};

// Opens a stream, then `opening`, then up to 10 MiB of `fill` in 16 KiB chunks.
flood_result flood(std::string_view opening, char fill) {
  stream_parser p;
  flood_result r;
  const std::size_t base = heap_in_use();
  r.ec = p.feed(std::string(header) + std::string(opening));
  const std::string chunk(16 * 1024, fill);
  while (!r.ec && r.fed < 10 * 1024 * 1024) {
    r.ec = p.feed(chunk);
    r.fed += chunk.size();
    if (base) r.peak_heap = std::max(r.peak_heap, heap_in_use() - std::min(base, heap_in_use()));
  }
  return r;
}

TEST(stream_parser_limits, ten_mib_of_text_stops_early_with_bounded_memory) {
  auto r = flood("<message><body>", 'a');
  EXPECT_EQ(r.ec, parser_error::stanza_too_big);
  EXPECT_LE(r.fed, parser_limits{}.max_stanza_bytes + 16 * 1024);
  EXPECT_LT(r.peak_heap, 4u * 1024 * 1024);
}

TEST(stream_parser_limits, ten_mib_attribute_value_stops_early_with_bounded_memory) {
  auto r = flood("<message to='", 'a');  // expat buffers the whole token: no callback helps
  EXPECT_EQ(r.ec, parser_error::stanza_too_big);
  EXPECT_LE(r.fed, parser_limits{}.max_stanza_bytes + 16 * 1024);
  EXPECT_LT(r.peak_heap, 4u * 1024 * 1024);
}

TEST(stream_parser_limits, ten_mib_of_whitespace_inside_a_stanza_counts) {
  auto r = flood("<message>", ' ');
  EXPECT_EQ(r.ec, parser_error::stanza_too_big);
  EXPECT_LE(r.fed, parser_limits{}.max_stanza_bytes + 16 * 1024);
}

TEST(stream_parser_limits, one_big_feed_is_checked_in_slices) {
  std::string in(header);
  in += "<message><body>";
  in.append(10 * 1024 * 1024, 'x');
  stream_parser p;
  EXPECT_EQ(p.feed(in), parser_error::stanza_too_big);
}

TEST(stream_parser_limits, a_whole_stanza_over_the_limit_in_one_feed_is_refused) {
  parser_limits l;
  l.max_stanza_bytes = 100 * 1024;  // smaller than one 64 KiB slice + the rest
  std::string in(header);
  in += "<message><body>" + std::string(120 * 1024, 'x') + "</body></message>";
  auto r = parse(in, 0, l);
  EXPECT_EQ(r.ec, parser_error::stanza_too_big);
  EXPECT_TRUE(test::stanzas(r).empty());
}

TEST(stream_parser_limits, stanzas_just_under_the_limit_pass_one_after_another) {
  parser_limits l;
  l.max_stanza_bytes = 4096;
  std::string in(header);
  const std::string stanza = "<message><body>" + std::string(4000, 'x') + "</body></message>";
  for (int i = 0; i < 50; ++i) in += stanza;
  for (std::size_t chunk : {0, 1000}) {
    auto r = parse(in, chunk, l);
    EXPECT_FALSE(r.ec) << r.ec.message();
    EXPECT_EQ(test::stanzas(r).size(), 50u);
  }
}

TEST(stream_parser_limits, the_header_counts_too) {
  parser_limits l;
  l.max_stanza_bytes = 1024;
  auto r = parse(
      "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='" + std::string(2000, 'a') + "'>",
      100, l);
  EXPECT_EQ(r.ec, parser_error::stanza_too_big);
}

TEST(stream_parser_limits, ten_thousand_nested_elements_are_too_deep) {
  std::string in(header);
  for (int i = 0; i < 10000; ++i) in += "<a>";
  auto r = parse(in, 4096);
  EXPECT_EQ(r.ec, parser_error::too_deep);
}

TEST(stream_parser_limits, depth_limit_is_exact) {
  parser_limits l;
  l.max_depth = 4;  // stream, stanza, two levels of children
  std::string h(header);
  EXPECT_FALSE(parse(h + "<m><a><b/></a></m>", 0, l).ec);
  EXPECT_EQ(parse(h + "<m><a><b><c/></b></a></m>", 0, l).ec, parser_error::too_deep);
}

// " p0='urn:0' p1='urn:1' ...": attributes, or namespace declarations for prefix "xmlns:".
std::string attributes(std::size_t n, std::string_view prefix) {
  std::string s;
  for (std::size_t i = 0; i < n; ++i)
    s += " " + std::string(prefix) + std::to_string(i) + "='urn:" + std::to_string(i) + "'";
  return s;
}

TEST(stream_parser_limits, attribute_count) {
  std::string h(header);
  EXPECT_FALSE(parse(h + "<m" + attributes(64, "a") + "/>").ec);
  EXPECT_EQ(parse(h + "<m" + attributes(65, "a") + "/>").ec, parser_error::too_many_attributes);
}

TEST(stream_parser_limits, namespace_declarations_per_element) {
  std::string h(header);
  EXPECT_FALSE(parse(h + "<m" + attributes(32, "xmlns:p") + "/>").ec);
  EXPECT_EQ(parse(h + "<m" + attributes(33, "xmlns:p") + "/>").ec, parser_error::too_many_namespaces);
  // Per element: 20 here and 20 more on a child are fine.
  auto r = parse(h + "<m" + attributes(20, "xmlns:p") + "><c" + attributes(20, "xmlns:q") + "/></m>");
  EXPECT_FALSE(r.ec) << r.ec.message();
}

}  // namespace
}  // namespace ofs::xml
