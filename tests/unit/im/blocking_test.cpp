// XEP-0191 blocking command, through the real router, service and store.
#include "server/im/blocking.hpp"

#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

std::vector<std::string> items_of(const core::element* e) {
  std::vector<std::string> out;
  if (e)
    for (const auto& c : e->children())
      if (c.name() == "item") out.emplace_back(c.attr("jid"));
  return out;
}

std::vector<std::string> blocklist(harness& h, fake_client& c) {
  h.send(c, "<iq type='get' id='bl'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
  auto got = c.take();
  const core::stanza* r = find(got, iq_result("bl"));
  EXPECT_TRUE(r) << dump(got);
  return items_of(r ? r->xml().child("blocklist", blocking_ns) : nullptr);
}

// Block pushes (iq set with <block/> or <unblock/>) among what arrived: "block a b", "unblock".
std::vector<std::string> pushes(const stanzas& v) {
  std::vector<std::string> out;
  for (const auto& s : v) {
    if (s.name() != "iq" || s.type() != "set") continue;
    for (auto name : {"block", "unblock"})
      if (const core::element* e = s.xml().child(name, blocking_ns)) {
        std::string text = name;
        for (const auto& j : items_of(e)) text += " " + j;
        out.push_back(text);
      }
  }
  return out;
}

bool blocked_error(const core::stanza& s) {
  const core::element* e = s.xml().child("error");
  return has_error(s, "not-acceptable") && e->child("blocked", blocking_errors_ns);
}

using strings = std::vector<std::string>;

TEST(blocking, block_enforced_both_ways_and_pushed_to_interested_resources) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  auto balcony = h.online("juliet@example.com/balcony");
  auto chamber = h.online("juliet@example.com/chamber");
  romeo->take();
  EXPECT_TRUE(blocklist(h, *balcony).empty());

  h.send(
      *chamber,
      "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/></block></iq>");
  auto got = chamber->take();
  EXPECT_TRUE(find(got, iq_result("b"))) << dump(got);
  EXPECT_TRUE(pushes(got).empty());  // the chamber never asked for the list
  EXPECT_EQ(pushes(balcony->take()), strings{"block romeo@example.com"});
  // Romeo sees both of Juliet's resources go offline.
  got = romeo->take();
  for (auto from : {"juliet@example.com/balcony", "juliet@example.com/chamber"})
    EXPECT_TRUE(find(got,
                     [&](const core::stanza& s) {
                       return s.name() == "presence" && s.type() == "unavailable" && s.from().str() == from;
                     }))
        << from << dump(got);

  // From the blocked contact: nothing arrives; messages and iq requests get service-unavailable
  // (XEP-0191 3.5), the same answer as when she is offline, so it tells nothing of her presence.
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>hello?</body></message>");
  h.send(*romeo, "<message to='juliet@example.com/balcony' type='chat'><body>hello?</body></message>");
  h.send(*romeo, "<iq to='juliet@example.com/balcony' type='get' id='q'><ping xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_EQ(count(balcony->take(), chat_message()), 0u);
  EXPECT_EQ(count(chamber->take(), chat_message()), 0u);
  got = romeo->take();
  EXPECT_EQ(count(got, message_error("service-unavailable")), 2u) << dump(got);
  EXPECT_TRUE(find(got, iq_error("q", "service-unavailable"))) << dump(got);

  // To the blocked contact: not-acceptable with <blocked/>, nothing reaches him.
  h.send(*balcony, "<message to='romeo@example.com' type='chat' id='m'><body>bye</body></message>");
  got = balcony->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_TRUE(blocked_error(got[0])) << dump(got);
  EXPECT_EQ(got[0].from().str(), "romeo@example.com");
  EXPECT_EQ(count(romeo->take(), chat_message()), 0u);

  // While offline, the blocked contact cannot leave messages either.
  h.unbind(*balcony);
  h.unbind(*chamber);
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>later</body></message>");
  EXPECT_TRUE(h.offline("juliet@example.com").empty());
  EXPECT_EQ(count(romeo->take(), message_error("service-unavailable")), 1u);
}

TEST(blocking, unblock_and_unblock_all) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  auto romeo = h.online("romeo@example.com/orchard");
  blocklist(h, *juliet);
  h.send(*juliet,
         "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/>"
         "<item jid='nurse@example.com'/><item jid='evil.example'/></block></iq>");
  EXPECT_EQ(blocklist(h, *juliet), (strings{"evil.example", "nurse@example.com", "romeo@example.com"}));

  h.send(*juliet,
         "<iq type='set' id='u'><unblock xmlns='urn:xmpp:blocking'><item "
         "jid='romeo@example.com'/></unblock></iq>");
  auto got = juliet->take();
  EXPECT_TRUE(find(got, iq_result("u")));
  EXPECT_EQ(pushes(got), strings{"unblock romeo@example.com"});
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>again</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 1u);

  // A whole domain: any address there is blocked.
  h.inbound(
      "<message from='iago@evil.example/r' to='juliet@example.com' type='chat'><body>x</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);

  h.send(*juliet, "<iq type='set' id='all'><unblock xmlns='urn:xmpp:blocking'/></iq>");
  got = juliet->take();
  EXPECT_TRUE(find(got, iq_result("all")));
  EXPECT_EQ(pushes(got), strings{"unblock"});
  EXPECT_TRUE(blocklist(h, *juliet).empty());
  h.inbound(
      "<message from='iago@evil.example/r' to='juliet@example.com' type='chat'><body>x</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 1u);
}

TEST(blocking, malformed_commands) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*juliet, "<iq type='set' id='e'><block xmlns='urn:xmpp:blocking'/></iq>");
  h.send(*juliet, "<iq type='set' id='j'><block xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></block></iq>");
  h.send(*juliet, "<iq to='romeo@example.com' type='get' id='o'><blocklist xmlns='urn:xmpp:blocking'/></iq>");
  auto got = juliet->take();
  EXPECT_TRUE(find(got, iq_error("e", "bad-request"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("j", "jid-malformed"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("o", "forbidden"))) << dump(got);
}

TEST(blocking, list_survives_a_new_service) {
  auto store = std::make_shared<storage::memory_store>();
  {
    harness first({}, store);
    auto juliet = first.online("juliet@example.com/balcony");
    first.send(*juliet,
               "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item "
               "jid='romeo@example.com'/></block></iq>");
    ASSERT_TRUE(find(juliet->take(), iq_result("b")));
  }
  harness second({}, store);  // accounts already there: creating them again is a no-op
  auto romeo = second.online("romeo@example.com/orchard");
  // Juliet is offline: her list is loaded on demand for the first stanza to her.
  second.send(*romeo, "<message to='juliet@example.com' type='chat'><body>hi</body></message>");
  EXPECT_TRUE(second.offline("juliet@example.com").empty());
  auto juliet = second.online("juliet@example.com/balcony");
  EXPECT_EQ(blocklist(second, *juliet), strings{"romeo@example.com"});
  second.send(*romeo, "<message to='juliet@example.com' type='chat'><body>hi</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  second.send(*romeo, "<message to='nurse@example.com' type='chat'><body>hi</body></message>");
  EXPECT_EQ(second.offline("nurse@example.com").size(), 1u);  // others are not affected

  // The first thing a session sends waits for its list to load, then meets the block.
  harness third({}, store);
  auto fresh = third.login("juliet@example.com/attic");
  third.send(*fresh, "<message to='romeo@example.com' type='chat' id='m'><body>hi</body></message>");
  third.send(*fresh, "<message to='nurse@example.com' type='chat' id='n'><body>hi</body></message>");
  auto got = fresh->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_TRUE(blocked_error(got[0])) << dump(got);
  EXPECT_EQ(third.offline("nurse@example.com").size(), 2u);
}

}  // namespace
}  // namespace ofs::im::test
