// Per-user serial work (user_shards): a slow account does not stall its shard, queues are
// bounded and refuse with a wait-type error, and shutdown drains what was accepted.
#include <thread>

#include "tests/unit/im/im_harness.hpp"

namespace ofs::im::test {
namespace {

std::string vcard_request(std::string id) {
  return "<iq type='get' id='" + id + "'><vCard xmlns='vcard-temp'/></iq>";
}

// An account on the same shard as romeo@example.com, created for the test.
std::string shard_mate(harness& h) {
  const auto shard = h.svc.shards().index_of(jid("romeo@example.com"));
  for (int i = 0;; ++i) {
    std::string name = "mate" + std::to_string(i) + "@example.com";
    if (h.svc.shards().index_of(jid(name)) != shard) continue;
    EXPECT_TRUE(h.sync(h.store.create_account(jid(name), {})).value());
    return name;
  }
}

predicate error_text_has(std::string id, std::string words) {
  return [=](const core::stanza& s) {
    const core::element* e = s.xml().child("error");
    return s.id() == id && has_error(s, "resource-constraint", "wait") && e &&
           e->child_text("text").find(words) != std::string::npos;
  };
}

TEST(user_shards, a_slow_store_call_stalls_only_its_own_user) {
  harness h;
  const std::string mate = shard_mate(h);
  auto romeo = h.online("romeo@example.com/orchard");
  auto other = h.online(mate + "/desk");
  h.store.hold(faults::get_private, jid("romeo@example.com"));
  h.send(*romeo, vcard_request("slow"), true);
  h.send(*romeo, "<iq type='get' id='after'><query xmlns='jabber:iq:roster'/></iq>", true);
  h.send(*other, vcard_request("quick"), true);
  // The other user of the same shard is answered while romeo's store call hangs.
  stanzas got_other;
  ASSERT_TRUE(h.run_until([&] {
    for (auto& s : other->take()) got_other.push_back(std::move(s));
    return find(got_other, iq_result("quick")) != nullptr;
  }));
  EXPECT_EQ(h.store.waiting(), 1u);
  // Romeo's later request waits behind the slow one: per-user order holds.
  EXPECT_TRUE(romeo->take().empty());

  h.store.release();
  h.run();
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 2u) << dump(got);
  EXPECT_TRUE(iq_result("slow")(got[0])) << dump(got);
  EXPECT_TRUE(iq_result("after")(got[1])) << dump(got);
}

TEST(user_shards, over_the_per_user_limit_requests_bounce_with_a_wait_error) {
  im_config config;
  config.shards.max_queued_per_user = 2;
  harness h(config);
  auto romeo = h.online("romeo@example.com/orchard");
  auto juliet = h.online("juliet@example.com/balcony");
  h.store.hold(faults::get_private, jid("romeo@example.com"));
  h.send(*romeo, vcard_request("1"), true);
  ASSERT_TRUE(h.run_until([&] { return h.store.waiting() == 1; }));
  for (auto id : {"2", "3", "4"}) h.send(*romeo, vcard_request(id), true);
  // One runs (held), two wait, the fourth is refused at once.
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_TRUE(error_text_has("4", "Too many requests")(got[0])) << dump(got);
  // Another user is not limited by romeo's queue.
  h.send(*juliet, vcard_request("j"), true);
  ASSERT_TRUE(h.run_until([&] { return count(juliet->take(), iq_result("j")) == 1; }));

  h.store.release();
  h.run();
  got = romeo->take();
  EXPECT_EQ(count(got, [](const core::stanza& s) { return s.type() == "result"; }), 3u) << dump(got);
}

TEST(user_shards, drain_completes_queued_offline_stores_and_post_after_close_bounces) {
  im_config c;
  c.archive.enabled = false;  // its writes would share the queue counted here
  harness h(c);
  auto romeo = h.online("romeo@example.com/orchard");
  h.store.hold(faults::store_offline);
  for (auto body : {"one", "two", "three"})
    h.send(*romeo,
           "<message to='juliet@example.com' type='chat'><body>" + std::string(body) + "</body></message>",
           true);
  ASSERT_TRUE(h.run_until([&] { return h.store.waiting() == 1; }));
  EXPECT_EQ(h.svc.shards().outstanding(), 3u);

  h.svc.close();  // as the server does once its sessions are closed
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>late</body></message>", true);
  auto got = romeo->take();
  ASSERT_EQ(got.size(), 1u) << dump(got);
  EXPECT_TRUE(message_error("resource-constraint", "wait")(got[0])) << dump(got);
  EXPECT_NE(got[0].xml().child("error")->child_text("text").find("shutting down"), std::string::npos);

  // The deadline passes while a store call hangs: drain says so.
  h.io.restart();
  std::thread io([&] { h.io.run_for(std::chrono::seconds(10)); });
  EXPECT_FALSE(h.svc.drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(100)));
  h.store.release();
  EXPECT_TRUE(h.svc.drain(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  EXPECT_EQ(h.svc.shards().outstanding(), 0u);
  h.io.stop();
  io.join();

  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_NE(stored[0].xml.find("one"), std::string::npos);
  EXPECT_NE(stored[2].xml.find("three"), std::string::npos);
  EXPECT_TRUE(romeo->take().empty()) << "accepted work is done, not bounced";
}

// A message waiting for its recipient's block list was accepted: loaded after close(), the
// list lets it go on to offline storage instead of bouncing to a sender who is gone.
TEST(user_shards, a_stanza_held_for_a_block_list_is_stored_even_after_close) {
  im_config c;
  c.archive.enabled = false;  // its preferences are read from the same private storage
  harness h(c);
  auto romeo = h.online("romeo@example.com/orchard");
  h.store.hold(faults::get_private);
  h.send(*romeo, "<message to='juliet@example.com' type='chat'><body>held</body></message>", true);
  ASSERT_TRUE(h.run_until([&] { return h.store.waiting() == 1; }));

  h.svc.close();
  h.store.release();
  h.io.restart();
  std::thread io([&] { h.io.run_for(std::chrono::seconds(10)); });
  EXPECT_TRUE(h.svc.drain(std::chrono::steady_clock::now() + std::chrono::seconds(5)));
  h.io.stop();
  io.join();

  auto stored = h.offline("juliet@example.com");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_NE(stored[0].xml.find("held"), std::string::npos);
  EXPECT_TRUE(romeo->take().empty()) << "accepted work is done, not bounced";
}

TEST(user_shards, drain_with_nothing_queued_returns_at_once) {
  harness h;
  h.svc.close();
  EXPECT_TRUE(h.svc.drain(std::chrono::steady_clock::now()));
}

}  // namespace
}  // namespace ofs::im::test
