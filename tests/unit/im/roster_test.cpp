// jabber:iq:roster (RFC 6121 section 2) and roster versioning (XEP-0237).
#include "tests/unit/im/im_harness.hpp"

using namespace ofs;
using namespace ofs::im::test;

namespace {

constexpr std::string_view add_nurse =
    "<iq type='set' id='a2'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com'/></query></iq>";
constexpr std::string_view add_juliet =
    "<iq type='set' id='a1'><query xmlns='jabber:iq:roster'>"
    "<item jid='juliet@example.com' name='Juliet'><group>Verona</group></item></query></iq>";

const core::element* roster_query(const core::stanza& s) {
  return s.xml().child("query", "jabber:iq:roster");
}

}  // namespace

TEST(roster, set_is_pushed_to_interested_resources_only_and_answered) {
  harness h;
  auto orchard = h.login("romeo@example.com/orchard");
  auto garden = h.login("romeo@example.com/garden");  // never asks for the roster
  h.send(*orchard, "<iq type='get' id='g1'><query xmlns='jabber:iq:roster'/></iq>");
  auto got = orchard->take();
  ASSERT_EQ(count(got, iq_result("g1")), 1u) << dump(got);
  EXPECT_TRUE(roster_query(got[0])->children().empty());

  h.send(*orchard, add_juliet);
  got = orchard->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com none"}) << dump(got);
  EXPECT_EQ(count(got, iq_result("a1")), 1u) << dump(got);
  EXPECT_TRUE(garden->take().empty());

  h.send(*garden, "<iq type='get' id='g2'><query xmlns='jabber:iq:roster'/></iq>");
  got = garden->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  const core::element* item = roster_query(got[0])->child("item");
  ASSERT_TRUE(item);
  EXPECT_EQ(item->attr("jid"), "juliet@example.com");
  EXPECT_EQ(item->attr("name"), "Juliet");
  EXPECT_EQ(item->attr("subscription"), "none");
  EXPECT_EQ(item->child_text("group"), "Verona");
  EXPECT_FALSE(roster_query(got[0])->has_attr("ver"));  // the client did not ask for versioning

  // Both are interested now.
  h.send(*garden, add_nurse);
  EXPECT_EQ(pushes(orchard->take()), strings{"nurse@example.com none"});
  EXPECT_EQ(pushes(garden->take()), strings{"nurse@example.com none"});
}

TEST(roster, update_keeps_the_subscription) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, add_juliet);
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com both"}) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "both");
}

TEST(roster, set_errors) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo,
         "<iq type='set' id='e1'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com'/>"
         "<item jid='nurse@example.com'/></query></iq>");
  h.send(*romeo,
         "<iq type='set' id='e2'><query xmlns='jabber:iq:roster'>"
         "<item jid='juliet@example.com' subscription='both'/></query></iq>");
  h.send(*romeo,
         "<iq type='set' id='e3' to='juliet@example.com'><query xmlns='jabber:iq:roster'>"
         "<item jid='tybalt@example.com'/></query></iq>");
  h.send(*romeo, "<iq type='get' id='e4' to='juliet@example.com'><query xmlns='jabber:iq:roster'/></iq>");
  h.send(*romeo,
         "<iq type='set' id='e5'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com'>"
         "<group>A</group><group>A</group></item></query></iq>");
  h.send(*romeo,
         "<iq type='set' id='e6'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com'>"
         "<group></group></item></query></iq>");
  h.send(*romeo,
         "<iq type='set' id='e7'><query xmlns='jabber:iq:roster'>"
         "<item jid='tybalt@example.com' subscription='remove'/></query></iq>");
  h.send(*romeo, "<iq type='set' id='e8'><query xmlns='jabber:iq:roster'/></iq>");
  h.send(*romeo, "<iq type='set' id='e9'><query xmlns='jabber:iq:roster'><item jid='@bad'/></query></iq>");
  h.send(*romeo, "<iq type='get' id='e10'><item xmlns='jabber:iq:roster'/></iq>");
  auto got = romeo->take();
  EXPECT_EQ(count(got, iq_error("e1", "bad-request")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_result("e2")), 1u)
      << dump(got);  // 'both' is ignored: subscriptions change by presence
  EXPECT_EQ(count(got, iq_error("e3", "forbidden")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e4", "forbidden")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e5", "bad-request")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e6", "not-acceptable")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e7", "item-not-found")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e8", "bad-request")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e9", "jid-malformed")), 1u) << dump(got);
  EXPECT_EQ(count(got, iq_error("e10", "bad-request")), 1u) << dump(got);
  EXPECT_EQ(got.size(), 11u) << dump(got);  // the ten answers and e2's roster push
  // e2 added juliet; its subscription='both' was ignored (subscriptions change by presence).
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "none");
  EXPECT_EQ(h.state("juliet@example.com", "tybalt@example.com"), "absent");
}

TEST(roster, versioning_xep_0237) {
  harness h;
  auto romeo = h.login("romeo@example.com/orchard");
  h.send(*romeo, "<iq type='get' id='v1'><query xmlns='jabber:iq:roster' ver=''/></iq>");
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 1u);
  const std::string v0(roster_query(got[0])->attr("ver"));
  EXPECT_FALSE(v0.empty());

  h.send(*romeo, add_juliet);
  got = romeo->take();
  ASSERT_EQ(pushes(got).size(), 1u) << dump(got);
  const std::string v1(roster_query(got[0])->attr("ver"));
  EXPECT_NE(v1, v0);

  // Up to date: an empty result, then pushes carry on from there.
  h.send(*romeo, "<iq type='get' id='v2'><query xmlns='jabber:iq:roster' ver='" + v1 + "'/></iq>");
  got = romeo->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_TRUE(iq_result("v2")(got[0]));
  EXPECT_EQ(roster_query(got[0]), nullptr);
  h.send(*romeo, add_nurse);
  got = romeo->take();
  ASSERT_EQ(pushes(got), strings{"nurse@example.com none"});
  const std::string v2(roster_query(got[0])->attr("ver"));
  EXPECT_NE(v2, v1);

  // An older version gets the whole roster, with the current version.
  h.send(*romeo, "<iq type='get' id='v3'><query xmlns='jabber:iq:roster' ver='" + v0 + "'/></iq>");
  got = romeo->take();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(roster_query(got[0])->attr("ver"), v2);
  std::size_t items = 0;
  for (const auto& c : roster_query(got[0])->children()) items += c.name() == "item";
  EXPECT_EQ(items, 2u);
}

TEST(roster, remove_ends_both_subscriptions) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto juliet = h.online("juliet@example.com/balcony");
  auto romeo = h.online("romeo@example.com/orchard");
  juliet->take();
  h.send(*romeo,
         "<iq type='set' id='r1'><query xmlns='jabber:iq:roster'>"
         "<item jid='juliet@example.com' subscription='remove'/></query></iq>");
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com remove"}) << dump(got);
  EXPECT_EQ(count(got, iq_result("r1")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "absent");
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none");

  got = juliet->take();
  EXPECT_EQ(count(got, presence("unsubscribe", "romeo@example.com")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("unsubscribed", "romeo@example.com")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("unavailable", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(pushes(got), (strings{"romeo@example.com to", "romeo@example.com none"})) << dump(got);
}
