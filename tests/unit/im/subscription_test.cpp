// Presence subscriptions (RFC 6121 section 3) between local accounts and with a remote one.
#include "tests/unit/im/im_harness.hpp"

using namespace ofs;
using namespace ofs::im::test;

namespace {

constexpr std::string_view add_juliet =
    "<iq type='set' id='a1'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com'/></query></iq>";

}  // namespace

TEST(subscription, request_and_approval_3_1) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");

  h.send(*romeo, add_juliet);
  EXPECT_EQ(pushes(romeo->take()), strings{"juliet@example.com none"});

  h.send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com none ask"}) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "none+out");
  got = juliet->take();
  EXPECT_EQ(count(got, presence("subscribe", "romeo@example.com")), 1u) << dump(got);  // bare 'from'
  EXPECT_TRUE(pushes(got).empty()) << "a request alone is not in the roster";
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none+in");

  h.send(*juliet, "<presence to='romeo@example.com' type='subscribed'/>");
  got = juliet->take();
  EXPECT_EQ(pushes(got), strings{"romeo@example.com from"}) << dump(got);
  got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com to"}) << dump(got);
  EXPECT_EQ(count(got, presence("subscribed", "juliet@example.com")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("", "juliet@example.com/balcony")), 1u) << "her presence follows";
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "to");
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "from");

  // And the other way round: both.
  h.send(*juliet, "<presence to='romeo@example.com' type='subscribe'/>");
  EXPECT_EQ(pushes(juliet->take()), strings{"romeo@example.com from ask"});
  got = romeo->take();
  EXPECT_EQ(count(got, presence("subscribe", "juliet@example.com")), 1u) << dump(got);
  h.send(*romeo, "<presence to='juliet@example.com' type='subscribed'/>");
  EXPECT_EQ(pushes(romeo->take()), strings{"juliet@example.com both"});
  got = juliet->take();
  EXPECT_EQ(pushes(got), strings{"romeo@example.com both"}) << dump(got);
  EXPECT_EQ(count(got, presence("", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "both");
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "both");
}

TEST(subscription, request_to_an_offline_user_waits_for_her_login) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  EXPECT_EQ(pushes(romeo->take()), strings{"juliet@example.com none ask"});
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none+in");

  // Her roster does not show him yet; the request comes with her initial presence, at
  // every login until she answers.
  for (int login = 0; login < 2; ++login) {
    auto juliet = h.login("juliet@example.com/balcony");
    h.send(*juliet, "<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>");
    auto got = juliet->take();
    ASSERT_EQ(got.size(), 1u) << dump(got);
    EXPECT_EQ(got[0].xml().child("query")->child("item"), nullptr) << dump(got);
    h.send(*juliet, "<presence/>");
    got = juliet->take();
    EXPECT_EQ(count(got, presence("subscribe", "romeo@example.com")), 1u) << dump(got);
    h.send(*juliet, "<presence type='unavailable'/>");
    h.unbind(*juliet);
  }

  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*juliet, "<presence to='romeo@example.com' type='subscribed'/>");
  EXPECT_EQ(pushes(juliet->take()), strings{"romeo@example.com from"});
  auto got = romeo->take();
  EXPECT_EQ(count(got, presence("subscribed", "juliet@example.com")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "to");
}

TEST(subscription, pre_approval_3_4) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");

  h.send(*juliet, "<presence to='romeo@example.com' type='subscribed'/>");
  EXPECT_EQ(pushes(juliet->take()), strings{"romeo@example.com none approved"});
  EXPECT_TRUE(romeo->take().empty()) << "a pre-approval is not routed";
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none+approved");

  h.send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  auto got = juliet->take();
  EXPECT_EQ(count(got, presence("subscribe", "romeo@example.com")), 0u) << dump(got);
  EXPECT_EQ(pushes(got), strings{"romeo@example.com from"}) << dump(got);
  got = romeo->take();
  EXPECT_EQ(pushes(got), (strings{"juliet@example.com none ask", "juliet@example.com to"})) << dump(got);
  EXPECT_EQ(count(got, presence("subscribed", "juliet@example.com")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("", "juliet@example.com/balcony")), 1u) << dump(got);
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "from");
}

TEST(subscription, pre_approval_can_be_cancelled) {
  harness h;
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*juliet, "<presence to='romeo@example.com' type='subscribed'/>");
  h.send(*juliet, "<presence to='romeo@example.com' type='unsubscribed'/>");
  EXPECT_EQ(pushes(juliet->take()), (strings{"romeo@example.com none approved", "romeo@example.com none"}));
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none");
}

TEST(subscription, denied_request_leaves_no_trace) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  h.send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  romeo->take();
  juliet->take();
  h.send(*juliet, "<presence to='romeo@example.com' type='unsubscribed'/>");
  EXPECT_TRUE(pushes(juliet->take()).empty());
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "absent");
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com none"}) << dump(got);
  EXPECT_EQ(count(got, presence("unsubscribed", "juliet@example.com")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "none");
}

TEST(subscription, unsubscribe_3_3_and_cancellation_3_2) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  romeo->take();

  // Romeo no longer wants her presence: he sees her go, she is told.
  h.send(*romeo, "<presence to='juliet@example.com' type='unsubscribe'/>");
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com from"}) << dump(got);
  EXPECT_EQ(count(got, presence("unavailable", "juliet@example.com/balcony")), 1u) << dump(got);
  got = juliet->take();
  EXPECT_EQ(pushes(got), strings{"romeo@example.com to"}) << dump(got);
  EXPECT_EQ(count(got, presence("unsubscribe", "romeo@example.com")), 1u) << dump(got);

  // Romeo cancels her subscription to him: she sees him go.
  h.send(*romeo, "<presence to='juliet@example.com' type='unsubscribed'/>");
  got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"juliet@example.com none"}) << dump(got);
  got = juliet->take();
  EXPECT_EQ(pushes(got), strings{"romeo@example.com none"}) << dump(got);
  EXPECT_EQ(count(got, presence("unsubscribed", "romeo@example.com")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("unavailable", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "none");
  EXPECT_EQ(h.state("juliet@example.com", "romeo@example.com"), "none");

  // Broadcasts no longer reach each other.
  h.send(*romeo, "<presence><show>away</show></presence>");
  EXPECT_EQ(count(juliet->take(), presence("", "romeo@example.com/orchard")), 0u);
}

TEST(subscription, repeated_request_is_answered_by_the_server) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  romeo->take();
  h.send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  EXPECT_TRUE(juliet->take().empty()) << "her server answers for her";
  // ...with 'subscribed', which his server drops: he has nothing pending (3.1.6).
  EXPECT_TRUE(romeo->take().empty());
  EXPECT_EQ(h.state("romeo@example.com", "juliet@example.com"), "both");
}

TEST(subscription, with_a_remote_contact) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<presence to='Mercutio@Example.NET/ignored' type='subscribe'/>");
  ASSERT_EQ(h.remote.size(), 1u);
  EXPECT_EQ(h.remote[0].to().str(), "mercutio@example.net");
  EXPECT_EQ(h.remote[0].from().str(), "romeo@example.com");
  EXPECT_EQ(h.remote[0].xml().attr("from"), "romeo@example.com");
  EXPECT_EQ(h.remote[0].type(), "subscribe");
  EXPECT_EQ(pushes(romeo->take()), strings{"mercutio@example.net none ask"});
  EXPECT_EQ(h.state("romeo@example.com", "mercutio@example.net"), "none+out");

  // An unasked approval is ignored, an answer to ours is taken; a full 'to' means the account.
  h.inbound("<presence from='tybalt@example.net' to='romeo@example.com' type='subscribed'/>");
  EXPECT_TRUE(romeo->take().empty());
  h.inbound("<presence from='mercutio@example.net/x' to='romeo@example.com/orchard' type='subscribed'/>");
  auto got = romeo->take();
  EXPECT_EQ(pushes(got), strings{"mercutio@example.net to"}) << dump(got);
  EXPECT_EQ(count(got, presence("subscribed", "mercutio@example.net")), 1u) << dump(got);
  EXPECT_EQ(h.state("romeo@example.com", "tybalt@example.net"), "absent");

  // His presence now goes to Mercutio's server, hers is asked for at login.
  h.remote.clear();
  h.send(*romeo, "<presence><status>thinking</status></presence>");
  EXPECT_EQ(h.remote.size(), 0u) << "Mercutio has no subscription to Romeo";
  auto bed = h.login("romeo@example.com/bed");
  h.send(*bed, "<presence/>");
  ASSERT_EQ(h.remote.size(), 1u);
  EXPECT_EQ(h.remote[0].type(), "probe");
  EXPECT_EQ(h.remote[0].from().str(), "romeo@example.com/bed");
}

TEST(subscription, request_to_a_nonexistent_user_is_refused) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<presence to='rosaline@example.com' type='subscribe'/>");
  auto got = romeo->take();
  EXPECT_EQ(count(got, presence("unsubscribed", "rosaline@example.com")), 1u) << dump(got);
  EXPECT_EQ(pushes(got), (strings{"rosaline@example.com none ask", "rosaline@example.com none"}))
      << dump(got);
}

TEST(subscription, stanza_without_to_is_a_bad_request) {
  harness h;
  auto romeo = h.online("romeo@example.com/orchard");
  h.send(*romeo, "<presence type='subscribe'/>");
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_EQ(got[0].type(), "error");
  EXPECT_TRUE(got[0].xml().child("error")->child("bad-request"));
}

TEST(subscription, server_answers_for_a_subscribed_user) {
  harness h;
  h.seed("juliet@example.com", "mercutio@example.net", ofs::storage::subscription::from);
  h.inbound("<presence from='mercutio@example.net/lute' to='juliet@example.com' type='subscribe'/>");
  ASSERT_EQ(h.remote.size(), 1u);
  EXPECT_EQ(h.remote[0].type(), "subscribed");
  EXPECT_EQ(h.remote[0].from().str(), "juliet@example.com");
  EXPECT_EQ(h.remote[0].to().str(), "mercutio@example.net");
  EXPECT_EQ(h.state("juliet@example.com", "mercutio@example.net"), "from");
  EXPECT_EQ(h.svc.rosters().size(), 0u) << "an offline user's roster is not kept";
}
