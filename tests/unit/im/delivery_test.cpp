// What a session cannot write is not lost: undeliverable stanzas (a closing session) and
// offline messages deleted only once written.
#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

std::string body(const core::stanza& s) { return s.xml().child_text("body"); }

TEST(undeliverable, a_closing_sessions_chat_goes_offline_and_its_iq_requests_bounce) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  juliet->end();  // closing: its stream takes nothing more
  h.send(*romeo, "<message to='juliet@example.com/balcony' type='chat'><body>still there?</body></message>");
  h.send(*romeo, "<message to='juliet@example.com/balcony'><body>no type</body></message>");
  h.send(*romeo, "<message to='juliet@example.com/balcony' type='headline'><body>news</body></message>");
  h.send(*romeo,
         "<iq to='juliet@example.com/balcony' type='get' id='v'><query xmlns='jabber:iq:version'/></iq>");
  EXPECT_TRUE(juliet->take().empty());
  auto got = romeo->take();
  EXPECT_TRUE(find(got, iq_error("v", "service-unavailable"))) << dump(got);
  EXPECT_EQ(count(got, message_error("service-unavailable")), 0u) << dump(got);
  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 2u) << "chat and normal messages are kept; headlines are not";
  EXPECT_NE(stored[0].xml.find("still there?"), std::string::npos);

  h.unbind(*juliet);
  auto again = h.login("juliet@example.com/balcony");
  h.send(*again, "<presence/>");
  stanzas messages;
  for (auto& s : again->take())
    if (chat_message()(s)) messages.push_back(s);
  ASSERT_EQ(messages.size(), 2u);
  EXPECT_EQ(body(messages[0]), "still there?");
}

TEST(undeliverable, a_closing_sessions_chat_goes_to_another_resource) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto balcony = h.online("juliet@example.com/balcony");
  auto chamber = h.online("juliet@example.com/chamber");
  balcony->take();  // the chamber's presence
  balcony->end();
  h.send(*romeo, "<message to='juliet@example.com/balcony' type='chat'><body>hello</body></message>");
  auto got = chamber->take();
  ASSERT_EQ(count(got, chat_message()), 1u) << dump(got);
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
  // Later messages to the bare JID skip the closing session too.
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>again</body></message>");
  EXPECT_EQ(count(chamber->take(), chat_message()), 1u);
  EXPECT_TRUE(balcony->take().empty());
}

void store_two(harness& h) {
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>one</body></message>");
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>two</body></message>");
  ASSERT_EQ(h.offline("juliet@example.com").size(), 2u);
}

TEST(offline_delivery, a_session_that_ends_before_the_write_keeps_its_offline_messages) {
  harness h;
  store_two(h);
  auto juliet = h.login("juliet@example.com/balcony");
  juliet->end();  // the connection goes while the messages are on their way
  h.send(*juliet, "<presence/>");
  EXPECT_EQ(h.offline("juliet@example.com").size(), 2u);
  h.unbind(*juliet);

  auto next = h.login("juliet@example.com/balcony");
  h.send(*next, "<presence/>");
  EXPECT_EQ(count(next->take(), chat_message()), 2u);
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

TEST(offline_delivery, deleted_only_once_written) {
  harness h;
  store_two(h);
  auto juliet = h.login("juliet@example.com/balcony");
  juliet->hold_writes();
  h.send(*juliet, "<presence/>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 2u);
  EXPECT_EQ(h.offline("juliet@example.com").size(), 2u) << "handed over, not yet written";
  juliet->finish_writes(true);
  h.run();
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

TEST(offline_delivery, unwritten_messages_go_to_another_resource) {
  harness h;
  store_two(h);
  auto balcony = h.login("juliet@example.com/balcony");
  balcony->hold_writes();
  h.send(*balcony, "<presence/>");
  auto chamber = h.online("juliet@example.com/chamber");  // while the first batch is on its way
  balcony->finish_writes(false);                          // the balcony connection broke
  h.run();
  stanzas got = chamber->take();
  EXPECT_EQ(count(got, chat_message()), 2u) << dump(got);
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
}

}  // namespace
}  // namespace ofs::im::test
