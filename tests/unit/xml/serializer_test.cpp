#include "server/xml/serializer.hpp"

#include <gtest/gtest.h>

#include "tests/unit/xml/parse_helpers.hpp"

namespace ofs::xml {
namespace {

using core::element;
constexpr std::string_view client = "jabber:client";

element chat_message() {
  element m("message", std::string(client));
  m.set_attr("to", "juliet@example.com").set_attr("type", "chat");
  m.add_child(element("body", std::string(client))).add_text("hi");
  return m;
}

TEST(serializer, stanza_in_the_stream_namespace_gets_no_xmlns) {
  EXPECT_EQ(to_string(chat_message()),
            R"(<message to="juliet@example.com" type="chat"><body>hi</body></message>)");
}

TEST(serializer, appends_to_the_given_string) {
  std::string out = "<x/>";
  serialize(chat_message(), out, client);
  EXPECT_TRUE(out.starts_with("<x/><message "));
}

TEST(serializer, xmlns_only_where_the_namespace_changes) {
  element iq("iq", std::string(client));
  iq.set_attr("type", "result");
  auto& query = iq.add_child(element("query", "jabber:iq:roster"));
  query.add_child(element("item", "jabber:iq:roster")).set_attr("jid", "romeo@example.net");
  query.add_child(element("empty"));  // no namespace at all
  EXPECT_EQ(to_string(iq),
            R"(<iq type="result"><query xmlns="jabber:iq:roster"><item jid="romeo@example.net"/>)"
            R"(<empty xmlns=""/></query></iq>)");
  EXPECT_EQ(to_string(iq, ""), R"(<iq xmlns="jabber:client" type="result"><query xmlns="jabber:iq:roster">)"
                               R"(<item jid="romeo@example.net"/><empty xmlns=""/></query></iq>)");
}

TEST(serializer, escapes_text_and_attributes) {
  element m("message", std::string(client));
  m.set_attr("id", "a\"b'c<d>e&f\tg\nh\ri");
  m.add_text("x & y < z > ]]> \"q\" 'a'\r\n\t");
  EXPECT_EQ(to_string(m),
            "<message id=\"a&quot;b&apos;c&lt;d&gt;e&amp;f&#9;g&#10;h&#13;i\">"
            "x &amp; y &lt; z &gt; ]]&gt; \"q\" 'a'&#13;\n\t</message>");
}

TEST(serializer, keeps_utf8_and_drops_what_xml_cannot_carry) {
  element m("message", std::string(client));
  m.add_text(
      "caf\xC3\xA9 \xF0\x9F\x98\x80 a\x01\x1F"
      "b");
  m.set_attr("x", "\x7F\x02");
  EXPECT_EQ(to_string(m), "<message x=\"\x7F\">caf\xC3\xA9 \xF0\x9F\x98\x80 ab</message>");
}

TEST(serializer, mixed_content_stays_in_order) {
  element p("p", "http://www.w3.org/1999/xhtml");
  p.add_text("Hi ");
  p.add_child(element("em", "http://www.w3.org/1999/xhtml")).add_text("there");
  p.add_text("!");
  EXPECT_EQ(to_string(p, "http://www.w3.org/1999/xhtml"), "<p>Hi <em>there</em>!</p>");
}

TEST(serializer, stream_namespace_uses_the_stream_prefix) {
  element error("error", "http://etherx.jabber.org/streams");
  error.add_child(element("not-well-formed", "urn:ietf:params:xml:ns:xmpp-streams"));
  error.add_child(element("extra", std::string(client)));  // default namespace unchanged
  EXPECT_EQ(to_string(error),
            R"(<stream:error><not-well-formed xmlns="urn:ietf:params:xml:ns:xmpp-streams"/>)"
            R"(<extra/></stream:error>)");
  EXPECT_EQ(to_string(element("features", "http://etherx.jabber.org/streams")), "<stream:features/>");
  // Already the default namespace: nothing to add.
  EXPECT_EQ(
      to_string(element("features", "http://etherx.jabber.org/streams"), "http://etherx.jabber.org/streams"),
      "<features/>");
}

TEST(serializer, namespaced_attributes_get_declared_prefixes) {
  element c("c", "http://jabber.org/protocol/caps");
  c.set_attr("xml:lang", "en");
  c.set_attr("{urn:a}x", "1");
  c.set_attr("plain", "2");
  c.set_attr("{urn:a}y", "3");
  c.set_attr("{urn:b}x", "4");
  c.set_attr("{http://www.w3.org/XML/1998/namespace}space", "preserve");
  c.set_attr("xmlns", "urn:ignored");
  c.set_attr("xmlns:foo", "urn:ignored");
  EXPECT_EQ(to_string(c, "http://jabber.org/protocol/caps"),
            R"(<c xml:lang="en" xmlns:ns0="urn:a" ns0:x="1" plain="2" ns0:y="3" )"
            R"(xmlns:ns1="urn:b" ns1:x="4" xml:space="preserve"/>)");
}

// parse(serialize(x)) == x, for trees the parser itself could produce.
TEST(serializer, round_trips_through_the_parser) {
  std::vector<element> cases;
  cases.push_back(chat_message());

  element tricky("message", std::string(client));
  tricky.set_attr("id", " \t\n\r&<>\"' ");
  tricky.set_attr("xml:lang", "de");
  tricky.set_attr("{urn:x}a", "v");
  tricky.set_attr("{urn:}x}b", "w");  // '}' may occur in a namespace URI (fuzz)
  auto& body = tricky.add_child(element("body", std::string(client)));
  body.add_text("line1\r\nline2\rline3\n ]]> <![CDATA[ &amp; \xE2\x82\xAC");
  auto& html = tricky.add_child(element("html", "http://jabber.org/protocol/xhtml-im"));
  auto& xb = html.add_child(element("body", "http://www.w3.org/1999/xhtml"));
  xb.add_text("a");
  xb.add_child(element("br", "http://www.w3.org/1999/xhtml"));
  xb.add_text("b");
  xb.add_child(element("x", "")).add_child(element("y", std::string(client)));
  tricky.add_child(element("features", "http://etherx.jabber.org/streams"))
      .add_child(element("inner", std::string(client)));
  cases.push_back(tricky);

  element features("features", "http://etherx.jabber.org/streams");
  features.add_child(element("starttls", "urn:ietf:params:xml:ns:xmpp-tls"))
      .add_child(element("required", "urn:ietf:params:xml:ns:xmpp-tls"));
  cases.push_back(features);

  for (const auto& e : cases) {
    auto xml = to_string(e);
    EXPECT_TRUE(test::same_tree(test::reparse(xml), e)) << xml;
  }
}

TEST(serializer, round_trips_a_parsed_client_stream) {
  auto r = test::parse(std::string(test::header) +
                       "<message xml:lang='fr'><body>a&amp;b&#13;c</body>"
                       "<p:x xmlns:p='urn:p' p:q='&#9;' xmlns:z='urn:z' z:q='2'><y xmlns=''/></p:x>"
                       "</message>");
  ASSERT_FALSE(r.ec);
  for (const auto& s : test::stanzas(r)) {
    auto xml = to_string(s);
    EXPECT_TRUE(test::same_tree(test::reparse(xml), s)) << xml;
  }
}

}  // namespace
}  // namespace ofs::xml
