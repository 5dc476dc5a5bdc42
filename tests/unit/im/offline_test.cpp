#include <regex>

#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

std::string body(const core::stanza& s) { return s.xml().child_text("body"); }

im_config with_quota(std::size_t quota) {
  im_config c;
  c.offline_quota = quota;
  return c;
}

TEST(offline, stored_with_delay_and_delivered_in_order_after_initial_presence) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>one</body></message>");
  h.send(*romeo, "<message to='juliet@example.com' type='normal'><body>two</body></message>");
  h.send(*romeo, "<message to='juliet@example.com/gone'><body>three</body></message>");
  EXPECT_TRUE(romeo->take().empty());

  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 3u);
  for (const auto& m : stored) {
    auto x = parse_element(m.xml);
    const core::element* delay = x.child("delay", "urn:xmpp:delay");
    ASSERT_TRUE(delay) << m.xml;
    EXPECT_EQ(delay->attr("from"), "example.com");
    EXPECT_TRUE(
        std::regex_match(std::string(delay->attr("stamp")), std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)")))
        << m.xml;
  }

  // Bound but without presence yet: nothing is handed over, nothing deleted.
  auto juliet = h.login("juliet@example.com/balcony");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  EXPECT_EQ(h.offline("juliet@example.com").size(), 3u);

  h.send(*juliet, "<presence/>");
  stanzas got;
  for (auto& s : juliet->take())
    if (chat_message()(s)) got.push_back(s);
  ASSERT_EQ(got.size(), 3u) << dump(got);
  EXPECT_EQ(body(got[0]), "one");
  EXPECT_EQ(body(got[1]), "two");
  EXPECT_EQ(body(got[2]), "three");
  EXPECT_EQ(got[0].from().str(), "romeo@example.com/orchard");
  EXPECT_TRUE(got[0].xml().child("delay", "urn:xmpp:delay"));
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

TEST(offline, kept_when_the_session_is_gone_before_delivery) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='juliet@example.com'><body>hi</body></message>");
  auto juliet = h.login("juliet@example.com/balcony");
  h.router.sessions().set_presence(juliet->address(), parse("<presence/>"), 0);
  h.svc.initial_presence_sent(*juliet);  // the delivery task is queued...
  h.svc.unbind(*juliet);                 // ...and the session leaves before it runs
  h.run();
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  EXPECT_EQ(h.offline("juliet@example.com").size(), 1u);
}

TEST(offline, negative_priority_neither_receives_nor_empties_the_store) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='juliet@example.com'><body>before</body></message>");
  auto juliet = h.online("juliet@example.com/bot", "<presence><priority>-1</priority></presence>");
  h.send(*romeo, "<message to='juliet@example.com'><body>during</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  EXPECT_EQ(h.offline("juliet@example.com").size(), 2u);
}

TEST(offline, online_recipient_gets_it_directly) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>now</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 1u);
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

TEST(offline, quota_reached_bounces_resource_constraint) {
  harness h(with_quota(2));
  auto romeo = h.online("romeo@example.com/orchard");
  for (int i = 0; i < 3; ++i)
    h.send(*romeo, "<message to='juliet@example.com' id='m'><body>x</body></message>");
  auto got = romeo->take();
  ASSERT_EQ(count(got, message_error("resource-constraint")), 1u) << dump(got);
  EXPECT_EQ(find(got, message_error("resource-constraint"))->xml().child("error")->attr("type"), "wait");
  EXPECT_EQ(h.offline("juliet@example.com").size(), 2u);
}

TEST(offline, unknown_account_bounces_service_unavailable) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='nobody@example.com' type='chat'><body>hello?</body></message>");
  auto got = romeo->take();
  ASSERT_EQ(count(got, message_error("service-unavailable")), 1u) << dump(got);
  EXPECT_EQ(find(got, message_error("service-unavailable"))->from().str(), "nobody@example.com");
}

TEST(offline, headline_errors_groupchat_and_chat_states_are_not_stored) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='juliet@example.com' type='headline'><body>news</body></message>");
  h.send(*romeo, "<message to='juliet@example.com' type='error'><body>err</body></message>");
  h.send(*romeo,
         "<message to='juliet@example.com' type='chat'>"
         "<composing xmlns='http://jabber.org/protocol/chatstates'/></message>");
  EXPECT_TRUE(romeo->take().empty());  // headline and the rest: dropped quietly
  h.send(*romeo, "<message to='juliet@example.com' type='groupchat'><body>room</body></message>");
  EXPECT_EQ(count(romeo->take(), message_error("service-unavailable")), 1u);
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

}  // namespace
}  // namespace ofs::im::test
