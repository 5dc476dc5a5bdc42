// XEP-0033 on the server: one message to the domain reaches every listed recipient once,
// 'bcc' addresses are hidden from every copy, and bad lists are refused with the XEP's errors.
#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

constexpr std::string_view ns = "http://jabber.org/protocol/address";

std::string multicast(std::string addresses) {
  return "<message to='example.com' type='chat' id='m1'><body>to all</body>"
         "<addresses xmlns='http://jabber.org/protocol/address'>" +
         addresses + "</addresses></message>";
}

std::vector<const core::element*> addresses_of(const core::stanza& s) {
  std::vector<const core::element*> out;
  if (const auto* list = s.xml().child("addresses", ns))
    for (const auto& a : list->children())
      if (!a.is_text()) out.push_back(&a);
  return out;
}

TEST(multicast, each_recipient_gets_one_copy_without_the_bcc_addresses) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  auto nurse = h.online("nurse@example.com/chamber");
  auto tybalt = h.online("tybalt@example.com/street");
  h.send(*romeo, multicast("<address type='to' jid='juliet@example.com'/>"
                           "<address type='cc' jid='nurse@example.com'/>"
                           "<address type='bcc' jid='tybalt@example.com'/>"
                           "<address type='to' jid='juliet@example.com'/>"
                           "<address type='replyto' jid='romeo@example.com/orchard'/>"));
  for (auto* who : {juliet.get(), nurse.get(), tybalt.get()}) {
    auto got = who->take();
    ASSERT_EQ(count(got, chat_message()), 1u) << who->address().str() << dump(got);
    const auto& m = *find(got, chat_message());
    EXPECT_EQ(m.from().str(), "romeo@example.com/orchard");
    EXPECT_EQ(m.to().bare_str(), who->address().bare_str());
    auto list = addresses_of(m);
    ASSERT_EQ(list.size(), 4u) << str(m);  // the bcc is gone, the duplicate and replyto stay
    for (const auto* a : list) {
      EXPECT_NE(a->attr("type"), "bcc") << str(m);
      EXPECT_EQ(a->attr("delivered"), a->attr("type") == "replyto" ? "" : "true") << str(m);
    }
  }
  EXPECT_TRUE(romeo->take().empty());
}

TEST(multicast, an_offline_recipient_gets_it_from_offline_storage) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, multicast("<address type='to' jid='juliet@example.com'/>"));
  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(stored[0].xml.find("to all"), std::string::npos);
}

TEST(multicast, addresses_already_delivered_are_skipped) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  auto nurse = h.online("nurse@example.com/chamber");
  h.send(*romeo, multicast("<address type='to' jid='juliet@example.com' delivered='true'/>"
                           "<address type='to' jid='nurse@example.com'/>"));
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  EXPECT_EQ(count(nurse->take(), chat_message()), 1u);
}

TEST(multicast, bad_lists_get_the_errors_and_reach_nobody) {
  im_config c;
  c.multicast_max_recipients = 10;
  harness h(c);
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");

  h.send(*romeo, multicast("<address type='to' jid='juliet@example.com'/><address type='to' jid='@bad'/>"));
  EXPECT_TRUE(find(romeo->take(), message_error("jid-malformed", "modify")));

  h.send(*romeo, multicast("<address type='replyto' jid='juliet@example.com'/>"));
  EXPECT_TRUE(find(romeo->take(), message_error("bad-request", "modify")));

  std::string many;
  for (int i = 0; i < 11; ++i) many += "<address type='to' jid='user" + std::to_string(i) + "@example.com'/>";
  h.send(*romeo, multicast(many));
  EXPECT_TRUE(find(romeo->take(), message_error("not-acceptable", "modify")));
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
}

TEST(multicast, is_advertised_on_the_server) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(
      *romeo,
      "<iq type='get' id='d1' to='example.com'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>");
  auto got = romeo->take();
  const auto* r = find(got, iq_result("d1"));
  ASSERT_TRUE(r) << dump(got);
  EXPECT_NE(str(*r).find("http://jabber.org/protocol/address"), std::string::npos) << str(*r);
}

}  // namespace
}  // namespace ofs::im::test
