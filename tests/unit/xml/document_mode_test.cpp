// Document mode (RFC 7395 framing): one complete XML document per input, and the
// serialization each framed message needs.
#include <gtest/gtest.h>

#include "server/xml/serializer.hpp"
#include "server/xml/stream_parser.hpp"
#include "tests/unit/xml/parse_helpers.hpp"

namespace ofs::xml {
namespace {

using test::drain;

constexpr std::string_view open_doc =
    "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0' xml:lang='en'/>";

error_code parser_error_of(std::string_view doc, parser_limits limits = {}) {
  stream_parser p(limits);
  return p.feed_document(doc);
}

TEST(document_mode, open_stanza_close_make_the_stream_events) {
  stream_parser p;
  ASSERT_FALSE(p.feed_document(open_doc)) << p.error_detail();
  auto events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  const auto* open = std::get_if<open_event>(&events[0]);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->header.attr("to"), "localhost");
  EXPECT_EQ(open->header.attr("version"), "1.0");
  EXPECT_EQ(open->header.attr("xml:lang"), "en");
  EXPECT_EQ(open->default_ns, "jabber:client");

  ASSERT_FALSE(
      p.feed_document("<message xmlns='jabber:client' to='a@localhost'><body>hi &amp; bye</body></message>"));
  events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  const auto& m = std::get<stanza_event>(events[0]).xml;
  EXPECT_EQ(m.name(), "message");
  EXPECT_EQ(m.xmlns(), "jabber:client");
  EXPECT_EQ(m.child_text("body", "jabber:client"), "hi & bye");

  ASSERT_FALSE(
      p.feed_document("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>"));
  events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(std::get<stanza_event>(events[0]).xml.xmlns(), "urn:ietf:params:xml:ns:xmpp-sasl");

  ASSERT_FALSE(p.feed_document("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'/>"));
  events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<close_event>(events[0]));
}

TEST(document_mode, restart_after_sasl_takes_a_new_open) {
  stream_parser p;
  ASSERT_FALSE(p.feed_document(open_doc));
  drain(p);
  p.reset();
  ASSERT_FALSE(p.feed_document(open_doc));
  auto events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<open_event>(events[0]));
}

TEST(document_mode, hibernates_between_documents) {
  stream_parser p;
  ASSERT_FALSE(p.feed_document(open_doc));
  EXPECT_FALSE(p.hibernate());  // an event is pending
  drain(p);
  EXPECT_TRUE(p.hibernate());
  ASSERT_FALSE(p.feed_document("<presence xmlns='jabber:client'/>"));
  EXPECT_EQ(drain(p).size(), 1u);
}

TEST(document_mode, restricted_xml_is_refused) {
  EXPECT_EQ(parser_error_of("<!DOCTYPE m [<!ENTITY x 'boom'>]><message xmlns='jabber:client'>&x;</message>"),
            parser_error::restricted_xml);
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'><!-- c --></message>"),
            parser_error::restricted_xml);
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'><?pi x?></message>"),
            parser_error::restricted_xml);
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'>&undefined;</message>"),
            parser_error::restricted_xml);
}

TEST(document_mode, incomplete_or_several_documents_are_not_well_formed) {
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'>"), parser_error::not_well_formed);
  EXPECT_EQ(parser_error_of("<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>"),
            parser_error::not_well_formed);
  EXPECT_EQ(parser_error_of(""), parser_error::not_well_formed);
  EXPECT_EQ(parser_error_of("   "), parser_error::not_well_formed);
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'>\xff</message>"), parser_error::not_well_formed);
}

TEST(document_mode, framing_elements_stay_empty) {
  EXPECT_EQ(parser_error_of("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'><x/></open>"),
            parser_error::bad_format);
  EXPECT_EQ(parser_error_of("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'>text</open>"),
            parser_error::bad_format);
}

TEST(document_mode, limits_apply_per_document) {
  parser_limits small;
  small.max_stanza_bytes = 100;
  EXPECT_EQ(parser_error_of(
                "<message xmlns='jabber:client'><body>" + std::string(200, 'a') + "</body></message>", small),
            parser_error::stanza_too_big);
  parser_limits shallow;
  shallow.max_depth = 3;  // like a stream: the document's root is at depth 2
  EXPECT_FALSE(parser_error_of("<message xmlns='jabber:client'><body/></message>", shallow));
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'><a><b/></a></message>", shallow),
            parser_error::too_deep);
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client' xmlns:u='u'><u:x/></message>"), error_code());
  EXPECT_EQ(parser_error_of("<message xmlns='jabber:client'><u:x/></message>"),
            parser_error::bad_namespace_prefix);
}

TEST(document_mode, an_error_sticks_until_reset) {
  stream_parser p;
  EXPECT_EQ(p.feed_document("<message"), parser_error::not_well_formed);
  EXPECT_EQ(p.feed_document(open_doc), parser_error::not_well_formed);
  p.reset();
  EXPECT_FALSE(p.feed_document(open_doc));
}

TEST(framed_serialization, every_top_level_element_declares_its_namespace) {
  const write_context ws{"", true};
  core::element m("message", "jabber:client");
  m.set_attr("to", "a@localhost");
  m.add_child(core::element("body", "jabber:client")).add_text("hi");
  std::string out;
  serialize(m, out, ws);
  EXPECT_EQ(out, R"(<message xmlns="jabber:client" to="a@localhost"><body>hi</body></message>)");

  core::element features("features", "http://etherx.jabber.org/streams");
  features.add_child(core::element("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
  out.clear();
  serialize(features, out, ws);
  EXPECT_EQ(out, R"(<stream:features xmlns:stream="http://etherx.jabber.org/streams">)"
                 R"(<bind xmlns="urn:ietf:params:xml:ns:xmpp-bind"/></stream:features>)");

  core::element err("error", "http://etherx.jabber.org/streams");
  err.add_child(core::element("not-authorized", "urn:ietf:params:xml:ns:xmpp-streams"));
  out.clear();
  serialize(err, out, ws);
  EXPECT_EQ(out, R"(<stream:error xmlns:stream="http://etherx.jabber.org/streams">)"
                 R"(<not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>)");
}

TEST(framed_serialization, what_is_written_parses_back_as_one_document) {
  core::element features("features", "http://etherx.jabber.org/streams");
  features.add_child(core::element("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl"))
      .add_child(core::element("mechanism", "urn:ietf:params:xml:ns:xmpp-sasl"))
      .add_text("SCRAM-SHA-1");
  std::string out;
  serialize(features, out, write_context{"", true});
  stream_parser p;
  ASSERT_FALSE(p.feed_document(out)) << p.error_detail();
  auto events = drain(p);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(test::same_tree(std::get<stanza_event>(events[0]).xml, features));
}

TEST(framed_serialization, the_default_context_is_the_tcp_stream) {
  core::element m("message", "jabber:client");
  std::string out;
  serialize(m, out, write_context{});
  EXPECT_EQ(out, "<message/>");
}

}  // namespace
}  // namespace ofs::xml
