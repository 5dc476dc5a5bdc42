// Every IM feature with a failing store, on each backend (memory, sqlite, and postgres when
// OFS_TEST_PG is set): the client gets a clean wait-type stanza error, nothing is lost
// (once the store recovers the data is there, or the sender was told), and the server goes
// on serving other users.
#include "server/storage/open_store.hpp"
#include "tests/unit/im/im_harness.hpp"
#include "tests/unit/storage/temp_database.hpp"

namespace ofs::im::test {
namespace {

using storage::subscription;

class store_faults : public ::testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    backend_ = std::make_unique<storage_test::temp_backend>(GetParam());
    if (!backend_->skipped.empty()) GTEST_SKIP() << backend_->skipped;
    asio::io_context io;
    auto opened = asio::co_spawn(io, storage::open_store(backend_->options), asio::use_future);
    io.run_for(std::chrono::seconds(30));
    ASSERT_TRUE(io.stopped()) << "opening the store took more than 30 s";
    auto result = opened.get();
    ASSERT_TRUE(result.db) << result.error;
    db_ = std::move(result.db);
    h_ = std::make_unique<harness>(im_config{}, db_);
  }
  void TearDown() override {
    h_.reset();  // before the store, before its database
    db_.reset();
    backend_.reset();
  }

  // Another user is served normally: a roster request and a message to an online user.
  void expect_serving_others() {
    auto nurse = h().online("nurse@example.com/kitchen");
    auto benvolio = h().online("benvolio@example.com/square");
    h().send(*nurse, "<iq type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>");
    h().send(*nurse, "<message to='benvolio@example.com' type='chat'><body>hi</body></message>");
    EXPECT_TRUE(find(nurse->take(), iq_result("r")));
    EXPECT_EQ(count(benvolio->take(), chat_message()), 1u);
  }

  harness& h() { return *h_; }
  std::unique_ptr<storage_test::temp_backend> backend_;
  std::shared_ptr<storage::store> db_;
  std::unique_ptr<harness> h_;
};

TEST_P(store_faults, roster_get_and_set) {
  auto romeo = h().online("romeo@example.com/orchard");
  h().unbind(*romeo);  // the cached roster goes with the last session
  romeo = h().login("romeo@example.com/orchard");
  h().store.fail(faults::load_roster);
  h().send(*romeo, "<iq type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>");
  EXPECT_TRUE(find(romeo->take(), iq_error("g", "internal-server-error", "wait")));
  h().store.heal();
  h().send(*romeo, "<iq type='get' id='g2'><query xmlns='jabber:iq:roster'/></iq>");
  EXPECT_TRUE(find(romeo->take(), iq_result("g2")));

  const std::string set =
      "<iq type='set' id='s'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' "
      "name='Nurse'/></query></iq>";
  h().store.fail(faults::put_roster_item);
  h().send(*romeo, set);
  auto got = romeo->take();
  EXPECT_TRUE(find(got, iq_error("s", "internal-server-error", "wait"))) << dump(got);
  EXPECT_TRUE(pushes(got).empty()) << "no push for a change that was not stored";
  h().store.heal();
  EXPECT_EQ(h().state("romeo@example.com", "nurse@example.com"), "absent");
  h().send(*romeo, set);
  EXPECT_TRUE(find(romeo->take(), iq_result("s")));
  EXPECT_EQ(h().state("romeo@example.com", "nurse@example.com"), "none");
  expect_serving_others();
}

TEST_P(store_faults, outbound_subscription) {
  auto romeo = h().online("romeo@example.com/orchard");
  auto juliet = h().online("juliet@example.com/balcony");
  h().store.fail(faults::put_roster_item);
  h().send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  auto got = romeo->take();
  EXPECT_EQ(count(got,
                  [](const core::stanza& s) {
                    return s.name() == "presence" && has_error(s, "internal-server-error", "wait");
                  }),
            1u)
      << dump(got);
  EXPECT_TRUE(juliet->take().empty()) << "nothing forwarded for a change that was not stored";
  h().store.heal();
  EXPECT_EQ(h().state("romeo@example.com", "juliet@example.com"), "absent");
  h().send(*romeo, "<presence to='juliet@example.com' type='subscribe'/>");
  EXPECT_EQ(h().state("romeo@example.com", "juliet@example.com"), "none+out");
  EXPECT_EQ(h().state("juliet@example.com", "romeo@example.com"), "none+in");
  expect_serving_others();
}

TEST_P(store_faults, inbound_subscription_request_is_bounced_not_dropped) {
  const std::string request =
      "<presence from='tybalt@remote.example' to='juliet@example.com' type='subscribe'/>";
  h().store.fail(faults::load_roster);
  h().inbound(request);
  ASSERT_EQ(h().remote.size(), 1u);
  EXPECT_TRUE(has_error(h().remote[0], "internal-server-error", "wait")) << str(h().remote[0]);
  EXPECT_EQ(h().remote[0].to().str(), "tybalt@remote.example");
  h().remote.clear();
  h().store.heal();
  h().store.fail(faults::put_roster_item);
  h().inbound(request);
  ASSERT_EQ(h().remote.size(), 1u);
  EXPECT_TRUE(has_error(h().remote[0], "internal-server-error", "wait")) << str(h().remote[0]);
  h().store.heal();
  EXPECT_EQ(h().state("juliet@example.com", "tybalt@remote.example"), "absent");
  h().inbound(request);  // the sender tries again
  EXPECT_EQ(h().state("juliet@example.com", "tybalt@remote.example"), "none+in");
  expect_serving_others();
}

TEST_P(store_faults, presence_probe_and_initial_presence) {
  h().befriend("romeo@example.com", "juliet@example.com");
  h().store.fail(faults::load_roster);
  h().inbound("<presence from='tybalt@remote.example/x' to='juliet@example.com' type='probe'/>");
  ASSERT_EQ(h().remote.size(), 1u);
  EXPECT_TRUE(has_error(h().remote[0], "internal-server-error", "wait")) << str(h().remote[0]);

  auto romeo = h().login("romeo@example.com/orchard");
  h().send(*romeo, "<presence/>");
  auto got = romeo->take();
  EXPECT_EQ(count(got, [](const core::stanza& s) { return has_error(s, "internal-server-error", "wait"); }),
            1u)
      << dump(got);
  h().store.heal();
  auto juliet = h().online("juliet@example.com/balcony");
  h().send(*romeo, "<presence/>");  // the client sends it again
  EXPECT_EQ(count(juliet->take(), presence("", "romeo@example.com/orchard")), 1u);
  expect_serving_others();
}

TEST_P(store_faults, offline_store_load_and_delete) {
  auto romeo = h().online("romeo@example.com/orchard");
  h().store.fail(faults::store_offline);
  h().send(*romeo, "<message to='juliet@example.com' type='chat'><body>one</body></message>");
  EXPECT_EQ(count(romeo->take(), message_error("internal-server-error", "wait")), 1u);
  h().store.heal();
  EXPECT_TRUE(h().offline("juliet@example.com").empty()) << "the sender was told: not stored";
  h().send(*romeo, "<message to='juliet@example.com' type='chat'><body>two</body></message>");
  ASSERT_EQ(h().offline("juliet@example.com").size(), 1u);

  h().store.fail(faults::load_offline);
  auto juliet = h().login("juliet@example.com/balcony");
  h().send(*juliet, "<presence/>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u);
  h().store.heal();
  EXPECT_EQ(h().offline("juliet@example.com").size(), 1u) << "kept for the next login";
  h().unbind(*juliet);

  h().store.fail(faults::delete_offline);
  juliet = h().login("juliet@example.com/balcony");
  h().send(*juliet, "<presence/>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 1u);
  h().store.heal();
  EXPECT_EQ(h().offline("juliet@example.com").size(), 1u) << "not deleted: comes again rather than never";
  expect_serving_others();
}

TEST_P(store_faults, vcard_and_private_storage) {
  auto juliet = h().online("juliet@example.com/balcony");
  const std::string set_card =
      "<iq type='set' id='vs'><vCard xmlns='vcard-temp'><FN>Juliet</FN></vCard></iq>";
  const std::string set_private =
      "<iq type='set' id='ps'><query xmlns='jabber:iq:private'><n xmlns='x:notes'>remember</n></query></iq>";
  h().store.fail(faults::put_private);
  h().send(*juliet, set_card);
  h().send(*juliet, set_private);
  auto got = juliet->take();
  EXPECT_TRUE(find(got, iq_error("vs", "internal-server-error", "wait"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("ps", "internal-server-error", "wait"))) << dump(got);
  h().store.heal();
  h().send(*juliet, set_card);
  h().send(*juliet, set_private);
  got = juliet->take();
  EXPECT_TRUE(find(got, iq_result("vs")) && find(got, iq_result("ps"))) << dump(got);

  h().store.fail(faults::get_private);
  h().send(*juliet, "<iq type='get' id='vg'><vCard xmlns='vcard-temp'/></iq>");
  h().send(*juliet,
           "<iq type='get' id='pg'><query xmlns='jabber:iq:private'><n xmlns='x:notes'/></query></iq>");
  got = juliet->take();
  EXPECT_TRUE(find(got, iq_error("vg", "internal-server-error", "wait"))) << dump(got);
  EXPECT_TRUE(find(got, iq_error("pg", "internal-server-error", "wait"))) << dump(got);
  h().store.heal();
  h().send(*juliet, "<iq type='get' id='vg2'><vCard xmlns='vcard-temp'/></iq>");
  got = juliet->take();
  const core::stanza* card = find(got, iq_result("vg2"));
  ASSERT_TRUE(card) << dump(got);
  EXPECT_EQ(card->xml().child("vCard", "vcard-temp")->child_text("FN"), "Juliet");
  expect_serving_others();
}

TEST_P(store_faults, block_list_unknown_fails_closed) {
  // Juliet blocked Romeo in an earlier run; this server has not loaded her list yet.
  auto put = h().store.put_private(jid("juliet@example.com"), "blocklist", "romeo@example.com\n");
  ASSERT_TRUE(h().sync(std::move(put)));
  auto romeo = h().online("romeo@example.com/orchard");
  h().store.fail(faults::get_private);  // from before her login, which loads it otherwise
  auto juliet = h().login("juliet@example.com/balcony");
  h().send(*romeo, "<message to='juliet@example.com/balcony' type='chat'><body>let me in</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u) << "never past a block that may exist";
  EXPECT_EQ(count(romeo->take(), message_error("internal-server-error", "wait")), 1u);
  h().send(
      *juliet,
      "<iq type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='nurse@example.com'/></block></iq>");
  EXPECT_TRUE(find(juliet->take(), iq_error("b", "internal-server-error", "wait")));

  h().store.heal();  // the next stanza loads the list again
  h().send(*romeo, "<message to='juliet@example.com/balcony' type='chat'><body>let me in</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 0u) << "blocked";
  auto nurse = h().online("nurse@example.com/kitchen");
  h().send(*nurse, "<message to='juliet@example.com/balcony' type='chat'><body>hello</body></message>");
  EXPECT_EQ(count(juliet->take(), chat_message()), 1u) << "not blocked";
  expect_serving_others();
}

TEST_P(store_faults, last_activity) {
  h().befriend("romeo@example.com", "juliet@example.com");
  auto romeo = h().online("romeo@example.com/orchard");
  h().store.fail(faults::get_private);
  h().send(*romeo, "<iq to='juliet@example.com' type='get' id='l'><query xmlns='jabber:iq:last'/></iq>");
  EXPECT_TRUE(find(romeo->take(), iq_error("l", "internal-server-error", "wait")));
  h().store.heal();
  h().send(*romeo, "<iq to='juliet@example.com' type='get' id='l2'><query xmlns='jabber:iq:last'/></iq>");
  auto got = romeo->take();
  EXPECT_FALSE(find(got, iq_error("l2", "internal-server-error"))) << dump(got);
  expect_serving_others();
}

TEST_P(store_faults, password_change_and_registration) {
  auto romeo = h().online("romeo@example.com/orchard");
  const std::string change =
      "<iq type='set' id='pw'><query xmlns='jabber:iq:register'><username>romeo</username>"
      "<password>new secret</password></query></iq>";
  h().store.fail(faults::set_credentials);
  h().send(*romeo, change);
  EXPECT_TRUE(find(romeo->take(), iq_error("pw", "internal-server-error", "wait")));
  h().store.heal();
  h().send(*romeo, change);
  EXPECT_TRUE(find(romeo->take(), iq_result("pw")));
  auto creds = h().sync(h().store.get_credentials(jid("romeo@example.com"))).value();
  ASSERT_TRUE(creds);
  EXPECT_EQ(creds->size(), 2u);
  expect_serving_others();
}

TEST_P(store_faults, in_band_registration) {
  im_config config;
  config.registration = true;
  config.scram_iterations = 64;
  h_.reset();
  h_ = std::make_unique<harness>(config, db_);
  const std::string create =
      "<iq type='set' id='reg'><query xmlns='jabber:iq:register'><username>paris</username>"
      "<password>pw</password></query></iq>";
  h().store.fail(faults::create_account);
  auto reply = h().sync(h().svc.preauth_register(parse_element(create), "192.0.2.9", "example.com"));
  const core::element* error = reply.child("error");
  ASSERT_TRUE(error) << xml::to_string(reply);
  EXPECT_EQ(error->attr("type"), "wait");
  EXPECT_TRUE(error->child("internal-server-error", core::ns::stanzas));
  h().store.heal();
  reply = h().sync(h().svc.preauth_register(parse_element(create), "192.0.2.9", "example.com"));
  EXPECT_EQ(reply.attr("type"), "result") << xml::to_string(reply);
  expect_serving_others();
}

INSTANTIATE_TEST_SUITE_P(backend, store_faults, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ofs::im::test
