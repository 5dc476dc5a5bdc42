#include "server/xml/stream_parser.hpp"

#include <gtest/gtest.h>

#include "tests/unit/xml/parse_helpers.hpp"

namespace ofs::xml {
namespace {

using test::header;
using test::parse;
using test::stanzas;

// Shaped like what a real client sends after connecting: BOM, XML declaration, bind,
// a message with XHTML-IM, a presence with a prefixed caps element.
constexpr std::string_view client_stream =
    "\xEF\xBB\xBF<?xml version='1.0' encoding='UTF-8'?>\n"
    "<stream:stream to='example.com' xmlns='jabber:client' "
    "xmlns:stream='http://etherx.jabber.org/streams' version='1.0' xml:lang='en'>\n"
    "<iq type='set' id='bind_1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
    "<resource>balcony</resource></bind></iq>\n  \t"
    "<message to='juliet@example.com' type='chat' xml:lang='fr' id=\"a&quot;b&apos;\">"
    "<body>Wherefore &amp; why &lt;art&gt; thou &#x52;omeo&#65;</body>"
    "<html xmlns='http://jabber.org/protocol/xhtml-im'>"
    "<body xmlns='http://www.w3.org/1999/xhtml'><p>Hi <em>there</em>!</p></body></html>"
    "</message>"
    "<presence><caps:c xmlns:caps='http://jabber.org/protocol/caps' hash='sha-1' "
    "caps:node='https://gajim.org'/><![CDATA[<raw & text>]]></presence>"
    "</stream:stream>";

const core::element& stanza_at(const test::parse_result& r, std::size_t i) {
  return std::get<stanza_event>(r.events.at(i)).xml;
}

TEST(stream_parser, client_stream_gives_header_stanzas_and_close) {
  auto r = parse(client_stream);
  ASSERT_FALSE(r.ec) << r.ec.message();
  ASSERT_EQ(r.events.size(), 5u);

  const auto& open = std::get<open_event>(r.events[0]);
  EXPECT_EQ(open.header.name(), "stream");
  EXPECT_EQ(open.header.xmlns(), "http://etherx.jabber.org/streams");
  EXPECT_EQ(open.default_ns, "jabber:client");
  EXPECT_EQ(open.header.attr("to"), "example.com");
  EXPECT_EQ(open.header.attr("version"), "1.0");
  EXPECT_EQ(open.header.attr("xml:lang"), "en");
  EXPECT_EQ(open.header.attributes().size(), 3u);  // xmlns declarations are not attributes

  const auto& iq = stanza_at(r, 1);
  EXPECT_EQ(iq.name(), "iq");
  EXPECT_EQ(iq.xmlns(), "jabber:client");
  ASSERT_NE(iq.child("bind", "urn:ietf:params:xml:ns:xmpp-bind"), nullptr);
  EXPECT_EQ(iq.child("bind")->child_text("resource", "urn:ietf:params:xml:ns:xmpp-bind"), "balcony");

  const auto& msg = stanza_at(r, 2);
  EXPECT_EQ(msg.attr("xml:lang"), "fr");
  EXPECT_EQ(msg.attr("id"), "a\"b'");
  EXPECT_EQ(msg.child_text("body", "jabber:client"), "Wherefore & why <art> thou RomeoA");
  const auto* p = msg.child("html")->child("body", "http://www.w3.org/1999/xhtml")->child("p");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->xmlns(), "http://www.w3.org/1999/xhtml");
  ASSERT_EQ(p->children().size(), 3u);  // mixed content stays in order
  EXPECT_EQ(p->children()[0].text(), "Hi ");
  EXPECT_EQ(p->children()[1].name(), "em");
  EXPECT_EQ(p->children()[2].text(), "!");

  const auto& presence = stanza_at(r, 3);
  const auto* c = presence.child("c", "http://jabber.org/protocol/caps");  // prefix resolved
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c->attr("hash"), "sha-1");
  EXPECT_EQ(c->attr("{http://jabber.org/protocol/caps}node"), "https://gajim.org");
  EXPECT_EQ(presence.text(), "<raw & text>");

  EXPECT_TRUE(std::holds_alternative<close_event>(r.events[4]));
}

TEST(stream_parser, chunk_size_does_not_change_events) {
  auto whole = parse(client_stream);
  for (std::size_t chunk : {1, 3, 7, 64, 4096}) {
    auto r = parse(client_stream, chunk);
    EXPECT_FALSE(r.ec) << "chunk " << chunk;
    EXPECT_TRUE(test::same_events(r.events, whole.events)) << "chunk " << chunk << ":\n"
                                                           << test::describe(r.events);
  }
}

TEST(stream_parser, events_come_as_soon_as_a_stanza_ends) {
  stream_parser p;
  ASSERT_FALSE(p.feed(header));
  EXPECT_TRUE(std::holds_alternative<open_event>(*p.next()));
  ASSERT_FALSE(p.feed("<presence/><message><body>half"));
  auto e = p.next();
  ASSERT_TRUE(e);
  EXPECT_EQ(std::get<stanza_event>(*e).xml.name(), "presence");
  EXPECT_FALSE(p.next());
  ASSERT_FALSE(p.feed("</body></message>"));
  EXPECT_EQ(std::get<stanza_event>(*p.next()).xml.child_text("body"), "half");
}

TEST(stream_parser, whitespace_keepalives_give_no_events) {
  stream_parser p;
  ASSERT_FALSE(p.feed(header));
  p.next();
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(p.feed(i % 2 ? " " : "\r\n\t"));
  EXPECT_FALSE(p.next());
  ASSERT_FALSE(p.feed("<presence/>"));
  EXPECT_TRUE(p.next());
}

TEST(stream_parser, keepalives_do_not_add_up_to_a_big_stanza) {
  parser_limits small;
  small.max_stanza_bytes = 1024;
  stream_parser p(small);
  ASSERT_FALSE(p.feed(header));
  const std::string spaces(512, ' ');
  for (int i = 0; i < 100; ++i) ASSERT_FALSE(p.feed(spaces)) << i;
}

TEST(stream_parser, stream_close_and_self_closed_stream) {
  auto r = parse(std::string(header) + "<presence/></stream:stream>\n");
  ASSERT_FALSE(r.ec);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<close_event>(r.events[2]));

  r = parse("<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>");
  ASSERT_FALSE(r.ec);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_EQ(std::get<open_event>(r.events[0]).default_ns, "");
  EXPECT_TRUE(std::holds_alternative<close_event>(r.events[1]));
}

TEST(stream_parser, any_prefix_may_name_the_streams_namespace) {
  auto r = parse(
      "<s:stream xmlns='jabber:server' xmlns:s='http://etherx.jabber.org/streams'>"
      "<s:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></s:features>");
  ASSERT_FALSE(r.ec);
  EXPECT_EQ(std::get<open_event>(r.events[0]).default_ns, "jabber:server");
  EXPECT_EQ(stanza_at(r, 1).name(), "features");
  EXPECT_EQ(stanza_at(r, 1).xmlns(), "http://etherx.jabber.org/streams");
}

TEST(stream_parser, reset_starts_a_fresh_stream_and_drops_pipelined_bytes) {
  stream_parser p;
  ASSERT_FALSE(
      p.feed(std::string(header) + "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><message><body>inj"));
  p.next();
  EXPECT_EQ(std::get<stanza_event>(*p.next()).xml.name(), "starttls");
  p.reset();
  EXPECT_FALSE(p.next());
  ASSERT_FALSE(p.feed("<?xml version='1.0'?>")) << p.error_detail();  // allowed again
  ASSERT_FALSE(p.feed(header));
  EXPECT_TRUE(std::holds_alternative<open_event>(*p.next()));
  ASSERT_FALSE(p.feed("<presence/>"));
  EXPECT_EQ(std::get<stanza_event>(*p.next()).xml.name(), "presence");
}

TEST(stream_parser, reset_clears_an_error) {
  stream_parser p;
  EXPECT_TRUE(p.feed("<!-- -->"));
  p.reset();
  EXPECT_FALSE(p.error());
  EXPECT_FALSE(p.feed(header));
}

TEST(stream_parser, a_moved_parser_keeps_working) {
  stream_parser a;
  ASSERT_FALSE(a.feed(header));
  stream_parser b(std::move(a));
  ASSERT_FALSE(b.feed("<presence/>"));
  EXPECT_EQ(test::drain(b).size(), 2u);
}

// Each case: what follows the stream header (or replaces it), and the error it must give.
struct bad_case {
  const char* name;
  std::string input;
  parser_error want;
};

std::vector<bad_case> bad_cases() {
  const std::string h(header);
  return {
      {"dtd", "<?xml version='1.0'?><!DOCTYPE stream:stream>" + h, parser_error::restricted_xml},
      {"internal_entity", "<!DOCTYPE s [<!ENTITY foo 'bar'>]>" + h, parser_error::restricted_xml},
      {"entity_reference", h + "<message><body>&foo;</body></message>", parser_error::restricted_xml},
      {"entity_in_attribute", h + "<message to='&foo;'/>", parser_error::restricted_xml},
      {"comment_in_stanza", h + "<message><!-- x --></message>", parser_error::restricted_xml},
      {"comment_between", h + "<!-- keepalive -->", parser_error::restricted_xml},
      {"comment_before", "<!-- x -->" + h, parser_error::restricted_xml},
      {"pi", h + "<message><?php echo 1; ?></message>", parser_error::restricted_xml},
      {"pi_between", h + "<?foo?>", parser_error::restricted_xml},
      {"invalid_utf8", h + "<message><body>\xC3\x28</body></message>", parser_error::not_well_formed},
      {"overlong_utf8", h + "<message><body>\xC0\xAF</body></message>", parser_error::not_well_formed},
      {"surrogate_utf8", h + "<message><body>\xED\xA0\x80</body></message>", parser_error::not_well_formed},
      {"stray_continuation", h + "<message a='\x80'/>", parser_error::not_well_formed},
      {"control_char", h + "<message><body>\x01</body></message>", parser_error::not_well_formed},
      {"bad_char_ref", h + "<message><body>&#1;</body></message>", parser_error::not_well_formed},
      {"mismatched_tag", h + "<message><body></message>", parser_error::not_well_formed},
      {"duplicate_attribute", h + "<message a='1' a='2'/>", parser_error::not_well_formed},
      {"second_xml_decl", h + "<?xml version='1.0'?>", parser_error::not_well_formed},
      {"unbound_prefix", h + "<foo:message/>", parser_error::bad_namespace_prefix},
      {"unbound_attr_prefix", h + "<message foo:a='1'/>", parser_error::bad_namespace_prefix},
      {"undeclared_stream_prefix", "<stream:stream xmlns='jabber:client'>",
       parser_error::bad_namespace_prefix},
      {"wrong_stream_ns", "<stream:stream xmlns:stream='http://etherx.jabber.org/streamz'>",
       parser_error::invalid_namespace},
      {"wrong_root_name", "<stream:strom xmlns:stream='http://etherx.jabber.org/streams'>",
       parser_error::invalid_namespace},
      {"unprefixed_root", "<stream xmlns='jabber:client'>", parser_error::invalid_namespace},
      {"latin1_declared", "<?xml version='1.0' encoding='ISO-8859-1'?>" + h,
       parser_error::unsupported_encoding},
      {"utf16_bom", std::string("\xFF\xFE<\0s\0", 6), parser_error::unsupported_encoding},
      {"utf16_no_bom", std::string("\0<\0s", 4), parser_error::unsupported_encoding},
      {"utf16le_no_bom", std::string("<\0s\0", 4), parser_error::unsupported_encoding},
      {"nul_second", std::string("#\0\xEF\0", 4), parser_error::unsupported_encoding},  // fuzz
      {"text_at_stream_level", h + "hello", parser_error::bad_format},
      {"junk_after_close", h + "</stream:stream>x", parser_error::not_well_formed},
  };
}

TEST(stream_parser, each_bad_input_gives_its_error) {
  for (const auto& c : bad_cases()) {
    for (std::size_t chunk : {0, 1}) {
      auto r = parse(c.input, chunk);
      EXPECT_EQ(r.ec, c.want) << c.name << " (chunk " << chunk << "): got " << r.ec.message();
    }
  }
}

TEST(stream_parser, allowed_xml_is_accepted) {
  for (std::string_view ok :
       {"<?xml version='1.0'?>", "<?xml version='1.0' encoding='utf-8' standalone='yes'?>", "\xEF\xBB\xBF",
        "\n\n"}) {
    auto r = parse(std::string(ok) + std::string(header) + "<m>&lt;&gt;&amp;&quot;&apos;&#65;</m>");
    EXPECT_FALSE(r.ec) << ok << ": " << r.ec.message();
    EXPECT_EQ(stanzas(r).at(0).text(), "<>&\"'A");
  }
}

TEST(stream_parser, error_is_sticky) {
  stream_parser p;
  auto ec = p.feed(std::string(header) + "<a:b/>");
  EXPECT_EQ(ec, parser_error::bad_namespace_prefix);
  EXPECT_EQ(p.feed("<presence/>"), ec);
  EXPECT_EQ(p.feed(""), ec);
  EXPECT_EQ(p.error(), ec);
  EXPECT_NE(p.error_detail().find("line 1"), std::string::npos) << p.error_detail();
}

TEST(stream_parser, errors_name_their_stream_condition) {
  EXPECT_EQ(stream_condition(parser_error::not_well_formed), "not-well-formed");
  EXPECT_EQ(stream_condition(parser_error::restricted_xml), "restricted-xml");
  EXPECT_EQ(stream_condition(parser_error::stanza_too_big), "policy-violation");
  EXPECT_EQ(stream_condition(parser_error::too_deep), "policy-violation");
  EXPECT_EQ(stream_condition(parser_error::bad_namespace_prefix), "bad-namespace-prefix");
  EXPECT_EQ(stream_condition(parser_error::invalid_namespace), "invalid-namespace");
  EXPECT_EQ(stream_condition(parser_error::unsupported_encoding), "unsupported-encoding");
  EXPECT_EQ(stream_condition(parser_error::bad_format), "bad-format");
  error_code ec = parser_error::too_deep;
  EXPECT_EQ(std::string(ec.category().name()), "xmpp.stream");
  EXPECT_FALSE(ec.message().empty());
  std::error_code std_ec = ec;  // usable where std::error_code is expected
  EXPECT_TRUE(std_ec);
}

TEST(stream_parser, hibernating_between_stanzas_does_not_change_events) {
  auto whole = parse(client_stream);
  for (std::size_t chunk : {1, 3, 7, 64, 4096}) {
    auto r = parse(client_stream, chunk, {}, /*hibernate=*/true);
    EXPECT_FALSE(r.ec) << "chunk " << chunk << ": " << r.ec.message();
    EXPECT_TRUE(test::same_events(r.events, whole.events)) << "chunk " << chunk << ":\n"
                                                           << test::describe(r.events);
    if (chunk <= 3) {
      EXPECT_GE(r.hibernations, 2u) << "chunk " << chunk;
    }
  }
}

TEST(stream_parser, a_woken_parser_keeps_the_header_namespaces) {
  stream_parser p;
  ASSERT_FALSE(
      p.feed("<s:stream xmlns:s='http://etherx.jabber.org/streams' xmlns='jabber:client' "
             "xmlns:x='urn:example:x'>"));
  EXPECT_TRUE(std::holds_alternative<open_event>(*p.next()));
  ASSERT_TRUE(p.hibernate());
  ASSERT_FALSE(p.feed("<x:note/><message/>"));
  auto note = p.next();
  ASSERT_TRUE(note);
  ASSERT_TRUE(std::holds_alternative<stanza_event>(*note));  // no second header event
  EXPECT_EQ(std::get<stanza_event>(*note).xml.xmlns(), "urn:example:x");
  EXPECT_EQ(std::get<stanza_event>(*p.next()).xml.xmlns(), "jabber:client");
  ASSERT_TRUE(p.hibernate());
  ASSERT_FALSE(p.feed("</s:stream>"));
  EXPECT_TRUE(std::holds_alternative<close_event>(*p.next()));
}

TEST(stream_parser, hibernation_waits_for_a_stanza_boundary_and_taken_events) {
  stream_parser p;
  EXPECT_FALSE(p.hibernate());  // no header yet
  ASSERT_FALSE(p.feed(header));
  EXPECT_FALSE(p.hibernate());  // the header event is not taken
  p.next();
  ASSERT_FALSE(p.feed("<message><body>hal"));
  EXPECT_FALSE(p.hibernate());  // mid-stanza
  ASSERT_FALSE(p.feed("f</body></message><pres"));
  EXPECT_FALSE(p.hibernate());  // half a tag is buffered
  ASSERT_FALSE(p.feed("ence/>"));
  EXPECT_EQ(std::get<stanza_event>(*p.next()).xml.child_text("body"), "half");
  EXPECT_TRUE(std::get<stanza_event>(*p.next()).xml.name() == "presence");
  EXPECT_TRUE(p.hibernate());
}

TEST(stream_parser, a_woken_parser_still_enforces_the_limits) {
  parser_limits limits;
  limits.max_stanza_bytes = 100;
  stream_parser p(limits);
  ASSERT_FALSE(p.feed(header));
  p.next();
  ASSERT_TRUE(p.hibernate());
  EXPECT_EQ(p.feed("<message><body>" + std::string(200, 'x') + "</body></message>"),
            parser_error::stanza_too_big);
}

}  // namespace
}  // namespace ofs::xml
