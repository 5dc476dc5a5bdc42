// Presence (RFC 6121 section 4): broadcast, probes, directed presence, priorities, and the
// unavailable presence of a session that is gone.
#include <set>
#include <thread>

#include "tests/unit/im/im_harness.hpp"

using namespace ofs;
using namespace ofs::im::test;

TEST(presence, initial_presence_reaches_subscribers_probes_contacts_and_echoes) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  h.seed("romeo@example.com", "nurse@example.com", storage::subscription::from);  // she watches him
  h.seed("nurse@example.com", "romeo@example.com", storage::subscription::to);
  h.seed("romeo@example.com", "benvolio@example.com", storage::subscription::to);  // he watches Benvolio
  h.seed("benvolio@example.com", "romeo@example.com", storage::subscription::from);
  auto juliet = h.online("juliet@example.com/balcony", "<presence><show>chat</show></presence>");
  auto nurse = h.online("nurse@example.com/kitchen");
  auto benvolio = h.online("benvolio@example.com/square");

  auto romeo = h.login("romeo@example.com/orchard");
  h.send(*romeo, "<presence><status>in love</status></presence>");
  auto got = romeo->take();
  EXPECT_EQ(count(got, presence("", "romeo@example.com/orchard")), 1u) << "own echo; " << dump(got);
  EXPECT_EQ(count(got, presence("", "juliet@example.com/balcony")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("", "benvolio@example.com/square")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("", "nurse@example.com/kitchen")), 0u) << "he has no subscription to her";
  EXPECT_EQ(got.size(), 3u) << dump(got);

  got = juliet->take();
  ASSERT_EQ(count(got, presence("", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(got[0].to().str(), "juliet@example.com");
  EXPECT_EQ(got[0].xml().child_text("status"), "in love");
  EXPECT_EQ(count(nurse->take(), presence("", "romeo@example.com/orchard")), 1u);
  EXPECT_TRUE(benvolio->take().empty()) << "Benvolio is not subscribed to Romeo: probed, not told";
}

TEST(presence, one_tree_shared_by_a_contacts_resources) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto balcony = h.online("juliet@example.com/balcony");
  auto chamber = h.online("juliet@example.com/chamber");
  balcony->take();
  auto romeo = h.online("romeo@example.com/orchard");
  auto a = balcony->take(), b = chamber->take();
  ASSERT_EQ(a.size(), 1u) << dump(a);
  ASSERT_EQ(b.size(), 1u) << dump(b);
  EXPECT_EQ(&a[0].xml(), &b[0].xml()) << "no copy per resource";
}

TEST(presence, subsequent_presence_is_broadcast_without_probes) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto juliet = h.online("juliet@example.com/balcony");
  auto romeo = h.online("romeo@example.com/orchard");
  juliet->take();
  h.send(*romeo, "<presence><show>away</show></presence>");
  auto got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_EQ(got[0].xml().child_text("show"), "away");
  got = romeo->take();
  EXPECT_EQ(got.size(), 1u) << "only his own echo: " << dump(got);
}

TEST(presence, dead_connection_sends_unavailable_once) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto juliet = h.online("juliet@example.com/balcony");
  auto orchard = h.online("romeo@example.com/orchard");
  auto garden = h.online("romeo@example.com/garden");
  juliet->take();
  orchard->take();
  h.unbind(*orchard);  // no unavailable from the client: the connection died
  auto got = juliet->take();
  EXPECT_EQ(count(got, presence("unavailable", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(got.size(), 1u) << dump(got);
  EXPECT_EQ(count(garden->take(), presence("unavailable", "romeo@example.com/orchard")), 1u);

  // A clean logout: the client's unavailable, then the unbind adds nothing.
  h.send(*garden, "<presence type='unavailable'><status>bye</status></presence>");
  h.unbind(*garden);
  got = juliet->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_EQ(got[0].xml().child_text("status"), "bye");
  EXPECT_EQ(h.svc.rosters().size(), 1u) << "only Juliet's roster stays cached";
  auto registry = h.router.sessions().resources(jid("juliet@example.com"));
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_TRUE(registry[0].available);
}

TEST(presence, probe_answers) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  h.seed("juliet@example.com", "mercutio@example.net", storage::subscription::from);
  auto juliet = h.online("juliet@example.com/balcony", "<presence><status>waiting</status></presence>");
  h.remote.clear();  // her broadcast to Mercutio

  // A subscriber gets each available resource's last presence, a stranger 'unsubscribed'.
  h.inbound("<presence from='mercutio@example.net/lute' to='juliet@example.com' type='probe'/>");
  h.inbound("<presence from='tybalt@example.net/sword' to='juliet@example.com' type='probe'/>");
  ASSERT_EQ(h.remote.size(), 2u);
  EXPECT_EQ(h.remote[0].type(), "");
  EXPECT_EQ(h.remote[0].from().str(), "juliet@example.com/balcony");
  EXPECT_EQ(h.remote[0].to().str(), "mercutio@example.net/lute");
  EXPECT_EQ(h.remote[0].xml().child_text("status"), "waiting");
  EXPECT_EQ(h.remote[1].type(), "unsubscribed");
  EXPECT_EQ(h.remote[1].from().str(), "juliet@example.com");
  EXPECT_TRUE(juliet->take().empty()) << "probes are the server's business";

  // Offline: her last unavailable presence.
  h.send(*juliet, "<presence type='unavailable'><status>asleep</status></presence>");
  h.unbind(*juliet);
  h.remote.clear();
  h.inbound("<presence from='mercutio@example.net/lute' to='juliet@example.com' type='probe'/>");
  ASSERT_EQ(h.remote.size(), 1u);
  EXPECT_EQ(h.remote[0].type(), "unavailable");
  EXPECT_EQ(h.remote[0].xml().child_text("status"), "asleep");

  // At login, Romeo's probe is answered with that too.
  auto romeo = h.online("romeo@example.com/orchard");
  auto romeo2 = h.login("romeo@example.com/garden");
  h.send(*romeo2, "<presence/>");
  auto got = romeo2->take();
  EXPECT_EQ(count(got, presence("unavailable", "juliet@example.com/balcony")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("", "romeo@example.com/orchard")), 1u) << "his other resource; " << dump(got);
}

TEST(presence, directed_presence_and_its_unavailable_at_logout) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto juliet = h.online("juliet@example.com/balcony");
  auto nurse = h.online("nurse@example.com/kitchen");
  auto benvolio = h.online("benvolio@example.com/square");
  auto romeo = h.online("romeo@example.com/orchard");
  juliet->take();

  h.send(*romeo, "<presence to='nurse@example.com/kitchen'><show>dnd</show></presence>");
  h.send(*romeo, "<presence to='benvolio@example.com'/>");
  h.send(*romeo, "<presence to='juliet@example.com/balcony'/>");
  h.send(*romeo, "<presence to='benvolio@example.com' type='unavailable'/>");
  EXPECT_EQ(count(nurse->take(), presence("", "romeo@example.com/orchard")), 1u);
  auto got = benvolio->take();
  EXPECT_EQ(count(got, presence("", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(count(got, presence("unavailable", "romeo@example.com/orchard")), 1u) << dump(got);
  EXPECT_EQ(count(juliet->take(), presence("", "romeo@example.com/orchard")), 1u);

  h.unbind(*romeo);
  EXPECT_EQ(count(nurse->take(), presence("unavailable", "romeo@example.com/orchard")), 1u);
  EXPECT_TRUE(benvolio->take().empty()) << "already told";
  EXPECT_EQ(juliet->take().size(), 1u) << "the broadcast only, no second one for the directed presence";
}

TEST(presence, priority_and_negative_priority) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h.online("romeo@example.com/orchard");
  auto balcony = h.online("juliet@example.com/balcony", "<presence><priority>5</priority></presence>");
  auto chamber = h.online("juliet@example.com/chamber", "<presence><priority>-1</priority></presence>");
  romeo->take();
  balcony->take();
  chamber->take();

  auto message = [&] {
    h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>hi</body></message>");
    return std::pair(balcony->take().size(), chamber->take().size());
  };
  EXPECT_EQ(message(), std::pair(std::size_t{1}, std::size_t{0}));
  h.send(*chamber, "<presence><priority>10</priority></presence>");
  balcony->take();
  chamber->take();
  EXPECT_EQ(message(), std::pair(std::size_t{0}, std::size_t{1}));

  // A negative priority still sends and receives presence.
  h.send(*balcony, "<presence><priority>-5</priority></presence>");
  EXPECT_EQ(count(romeo->take(), presence("", "juliet@example.com/balcony")), 1u);
  h.send(*romeo, "<presence><show>away</show></presence>");
  EXPECT_EQ(count(balcony->take(), presence("", "romeo@example.com/orchard")), 1u);
  for (const auto& r : h.router.sessions().resources(jid("juliet@example.com")))
    EXPECT_EQ(r.priority, r.ep->address().resource() == "balcony" ? -5 : 10);
}

TEST(presence, inbound_presence_goes_to_available_resources_only) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto balcony = h.online("juliet@example.com/balcony");
  auto quiet = h.login("juliet@example.com/quiet");  // connected, never available
  auto romeo = h.online("romeo@example.com/orchard");
  EXPECT_EQ(count(balcony->take(), presence("", "romeo@example.com/orchard")), 1u);
  auto got = quiet->take();
  EXPECT_TRUE(got.empty()) << dump(got);
}

TEST(presence, each_initial_presence_is_reported) {
  harness h;
  std::vector<std::string> reported;
  h.svc.on_initial_presence([&](core::endpoint& s) { reported.push_back(s.address().str()); });
  auto romeo = h.login("romeo@example.com/orchard");
  h.send(*romeo, "<presence/>");
  h.send(*romeo, "<presence><show>away</show></presence>");
  h.send(*romeo, "<presence type='unavailable'/>");
  h.send(*romeo, "<presence/>");
  EXPECT_EQ(reported, (strings{"romeo@example.com/orchard", "romeo@example.com/orchard"}));
}

TEST(presence, replaced_session_leaves_its_successor_alone) {
  harness h;
  h.befriend("romeo@example.com", "juliet@example.com");
  auto juliet = h.online("juliet@example.com/balcony");
  auto first = h.online("romeo@example.com/orchard");
  auto second = h.login("romeo@example.com/orchard");  // <conflict/> for the first
  h.send(*second, "<presence/>");
  juliet->take();
  h.unbind(*first);  // the old connection closes late
  EXPECT_TRUE(juliet->take().empty());
  auto registry = h.router.sessions().resources(jid("romeo@example.com"));
  ASSERT_EQ(registry.size(), 1u);
  EXPECT_TRUE(registry[0].available);
}

TEST(presence, works_across_threads) {
  harness h;
  constexpr int users = 12;
  auto name = [](int i) { return "user" + std::to_string(i) + "@example.com"; };
  for (int i = 0; i < users; ++i) {
    EXPECT_TRUE(h.sync(h.store.create_account(jid(name(i)), {})).value());
    for (int j = 0; j < users; ++j)
      if (i != j) h.seed(name(i), name(j), storage::subscription::both);
  }
  std::vector<client_ptr> sessions;
  for (int i = 0; i < users; ++i) sessions.push_back(h.login(name(i) + "/r"));
  for (auto& s : sessions) {
    auto p = parse("<presence/>");
    p.set_from(s->address());
    h.svc.from_client(*s, std::move(p));
  }
  h.io.restart();
  std::vector<std::thread> pool;
  for (int t = 0; t < 4; ++t) pool.emplace_back([&] { h.io.run_for(std::chrono::seconds(10)); });
  for (auto& t : pool) t.join();
  ASSERT_TRUE(h.io.stopped()) << "still busy after 10 s";
  for (auto& s : sessions) {
    auto got = s->take();
    // Every contact's presence once (broadcast or probe answer, whichever came second is
    // still presence), plus its own echo.
    std::set<std::string> from;
    for (const auto& p : got) from.insert(p.from().str());
    EXPECT_EQ(from.size(), std::size_t{users}) << dump(got);
  }
}
