#include "bosh/body.hpp"

#include <gtest/gtest.h>

namespace ofs::bosh {
namespace {

std::optional<request_body> parse(std::string_view text, std::string* why = nullptr) {
  std::string w;
  auto b = parse_body(text, 64 * 1024, w);
  if (why) *why = w;
  return b;
}

TEST(bosh_body, session_creation_attributes_are_read) {
  auto b = parse(
      "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' rid='1573741820' "
      "to='example.com' wait='60' hold='1' ver='1.6' xml:lang='en' xmpp:version='1.0'/>");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->rid, 1573741820u);
  EXPECT_EQ(b->sid(), "");
  EXPECT_EQ(b->number("wait"), 60u);
  EXPECT_EQ(b->number("hold"), 1u);
  EXPECT_EQ(b->xml.attr("{urn:xmpp:xbosh}version"), "1.0");
  EXPECT_EQ(b->xml.attr("xml:lang"), "en");
  EXPECT_TRUE(b->payload.empty());
  EXPECT_FALSE(b->restart());
  EXPECT_FALSE(b->terminate());
}

TEST(bosh_body, restart_and_terminate_are_recognised_by_namespace) {
  auto r = parse(
      "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:x='urn:xmpp:xbosh' rid='5' sid='s' "
      "x:restart='true'/>");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->restart());
  // The attribute without the xbosh namespace is not a restart.
  EXPECT_FALSE(
      parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='5' restart='true'/>")->restart());
  EXPECT_TRUE(
      parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='5' type='terminate'/>")->terminate());
}

TEST(bosh_body, each_child_becomes_a_document_in_jabber_client) {
  auto b = parse(
      "<body xmlns='http://jabber.org/protocol/httpbind' rid='7' sid='s'>\n"
      "  <message xmlns='jabber:client' to='a@b'><body>hi &amp; bye</body></message>\n"
      "  <auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>\n"
      "  <presence/>\n"  // COMPAT: in the body's own namespace
      "</body>");
  ASSERT_TRUE(b);
  ASSERT_EQ(b->payload.size(), 3u);
  EXPECT_EQ(b->payload[0], "<message xmlns=\"jabber:client\" to=\"a@b\"><body>hi &amp; bye</body></message>");
  EXPECT_EQ(b->payload[1],
            "<auth xmlns=\"urn:ietf:params:xml:ns:xmpp-sasl\" mechanism=\"PLAIN\">AGEAYg==</auth>");
  EXPECT_EQ(b->payload[2], "<presence xmlns=\"jabber:client\"/>");
  EXPECT_TRUE(b->xml.children().empty());
}

TEST(bosh_body, malformed_documents_are_refused_with_a_reason) {
  std::string why;
  EXPECT_FALSE(parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>", &why));
  EXPECT_NE(why.find("well-formed"), std::string::npos) << why;
  EXPECT_FALSE(parse("not xml at all", &why));
  EXPECT_FALSE(parse("<body xmlns='urn:other' rid='1'/>", &why));
  EXPECT_NE(why.find("httpbind"), std::string::npos) << why;
  EXPECT_FALSE(parse("<html xmlns='http://jabber.org/protocol/httpbind' rid='1'/>", &why));
  EXPECT_FALSE(parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'>text</body>", &why));
  EXPECT_EQ(why, "text directly inside <body/>");
}

TEST(bosh_body, entity_declarations_are_refused) {
  std::string why;
  EXPECT_FALSE(
      parse("<!DOCTYPE body [<!ENTITY x 'boom'>]><body xmlns='http://jabber.org/protocol/httpbind' "
            "rid='1'>&x;</body>",
            &why));
  EXPECT_NE(why.find("well-formed"), std::string::npos) << why;
}

TEST(bosh_body, rid_must_be_a_positive_integer_below_2_pow_53) {
  std::string why;
  for (auto rid : {"", "0", "-1", "12a", "9007199254740992", "99999999999999999999999"}) {
    EXPECT_FALSE(
        parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='" + std::string(rid) + "'/>", &why))
        << rid;
    EXPECT_EQ(why, "'rid' must be a positive integer below 2^53");
  }
  EXPECT_EQ(parse("<body xmlns='http://jabber.org/protocol/httpbind' rid='9007199254740991'/>")->rid,
            9007199254740991u);
}

TEST(bosh_body, a_body_over_the_limit_is_refused) {
  std::string big =
      "<body xmlns='http://jabber.org/protocol/httpbind' rid='1'><message xmlns='jabber:client'>" +
      std::string(2000, 'a') + "</message></body>";
  std::string why;
  EXPECT_FALSE(parse_body(big, 1024, why));
  EXPECT_TRUE(parse_body(big, 4096, why));
}

TEST(bosh_body, responses_declare_the_namespaces_their_payload_uses) {
  EXPECT_EQ(response("", {}), "<body xmlns='http://jabber.org/protocol/httpbind'/>");
  EXPECT_EQ(response(" ack='3'", {"<presence xmlns=\"jabber:client\"/>"}),
            "<body xmlns='http://jabber.org/protocol/httpbind' ack='3' "
            "xmlns:stream='http://etherx.jabber.org/streams'><presence xmlns=\"jabber:client\"/></body>");
  EXPECT_EQ(
      terminate("item-not-found"),
      "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>");
  EXPECT_EQ(terminate(""), "<body xmlns='http://jabber.org/protocol/httpbind' type='terminate'/>");
  std::string a;
  append_attr(a, "from", "a'b<");
  EXPECT_EQ(a, " from='a&apos;b&lt;'");
}

}  // namespace
}  // namespace ofs::bosh
