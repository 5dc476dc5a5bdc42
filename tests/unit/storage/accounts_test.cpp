// Accounts and SCRAM credentials, on every backend.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

using ofs::auth::scram_credentials;
using ofs::auth::scram_hash;
using creds_t = std::vector<scram_credentials>;

TEST_P(store, credentials_round_trip_for_sha1_and_sha256) {
  auto alice = make_jid("alice@example.test");
  creds_t creds{make_creds(scram_hash::sha256, 'a'), make_creds(scram_hash::sha1, 'b')};
  auto created = run(db().create_account(alice, creds));
  ASSERT_TRUE(created) << created.error().message();
  EXPECT_TRUE(*created);
  auto got = run(db().get_credentials(alice));
  ASSERT_TRUE(got && *got);
  creds_t sorted{creds[1], creds[0]};  // sha1 first
  EXPECT_EQ(**got, sorted);
}

TEST_P(store, create_account_rejects_a_duplicate_and_keeps_the_first) {
  auto bob = make_jid("bob@example.test");
  ASSERT_EQ(run(db().create_account(bob, {make_creds(scram_hash::sha256, '1')})).value(), true);
  EXPECT_EQ(run(db().create_account(bob, {make_creds(scram_hash::sha256, '2')})).value(), false);
  auto got = run(db().get_credentials(bob)).value();
  ASSERT_TRUE(got);
  EXPECT_EQ(*got, creds_t{make_creds(scram_hash::sha256, '1')});
}

TEST_P(store, accounts_are_keyed_by_bare_jid) {
  ASSERT_TRUE(run(db().create_account(make_jid("carol@example.test/laptop"), {})).value());
  EXPECT_FALSE(run(db().create_account(make_jid("carol@example.test/phone"), {})).value());
  EXPECT_TRUE(run(db().get_credentials(make_jid("carol@example.test"))).value());
  EXPECT_EQ(run(db().list_accounts("example.test")).value(), std::vector{make_jid("carol@example.test")});
}

TEST_P(store, an_account_without_credentials_has_an_empty_list) {
  ASSERT_TRUE(run(db().create_account(make_jid("dave@example.test"), {})).value());
  auto got = run(db().get_credentials(make_jid("dave@example.test"))).value();
  ASSERT_TRUE(got);
  EXPECT_TRUE(got->empty());
  EXPECT_FALSE(run(db().get_credentials(make_jid("nobody@example.test"))).value());
}

TEST_P(store, one_entry_per_hash_the_last_wins) {
  auto erin = make_jid("erin@example.test");
  creds_t twice{make_creds(scram_hash::sha256, '1'), make_creds(scram_hash::sha256, '2')};
  ASSERT_TRUE(run(db().create_account(erin, twice)).value());
  EXPECT_EQ(run(db().get_credentials(erin)).value().value(), creds_t{twice[1]});
}

TEST_P(store, set_credentials_replaces_them_all) {
  auto frank = make_jid("frank@example.test");
  ASSERT_TRUE(run(
      db().create_account(frank, {make_creds(scram_hash::sha1, 'o'), make_creds(scram_hash::sha256, 'o')})));
  creds_t fresh{make_creds(scram_hash::sha256, 'n')};
  auto set = run(db().set_credentials(frank, fresh));
  ASSERT_TRUE(set);
  EXPECT_TRUE(*set);
  EXPECT_EQ(run(db().get_credentials(frank)).value().value(), fresh);
  EXPECT_FALSE(run(db().set_credentials(make_jid("nobody@example.test"), fresh)).value());
  EXPECT_FALSE(run(db().get_credentials(make_jid("nobody@example.test"))).value());
}

TEST_P(store, remove_account_reports_whether_it_existed) {
  auto gina = make_jid("gina@example.test");
  EXPECT_FALSE(run(db().remove_account(gina)).value());
  ASSERT_TRUE(run(db().create_account(gina, {make_creds(scram_hash::sha256, 'g')})).value());
  EXPECT_TRUE(run(db().remove_account(gina)).value());
  EXPECT_FALSE(run(db().get_credentials(gina)).value());
  EXPECT_FALSE(run(db().remove_account(gina)).value());
  EXPECT_TRUE(run(db().create_account(gina, {})).value());  // the name is free again
}

TEST_P(store, remove_account_removes_roster_offline_and_private_data) {
  auto hank = make_jid("hank@example.test");
  auto other = make_jid("other@example.test");
  for (auto& j : {hank, other}) {
    ASSERT_TRUE(run(db().create_account(j, {make_creds(scram_hash::sha256, 'h')})).value());
    st::roster_item item;
    item.contact = make_jid("friend@example.test");
    item.groups = {"Friends", "Work"};
    ASSERT_TRUE(run(db().put_roster_item(j, item)));
    ASSERT_TRUE(run(db().store_offline(j, "<message/>", 10)).value());
    ASSERT_TRUE(run(db().put_private(j, "storage:bookmarks", "<storage/>")));
  }
  ASSERT_TRUE(run(db().remove_account(hank)).value());
  ASSERT_TRUE(run(db().create_account(hank, {})).value());
  EXPECT_TRUE(run(db().load_roster(hank)).value().items.empty());
  EXPECT_TRUE(run(db().load_offline(hank)).value().empty());
  EXPECT_FALSE(run(db().get_private(hank, "storage:bookmarks")).value());
  // The other account keeps everything.
  EXPECT_EQ(run(db().load_roster(other)).value().items.size(), 1u);
  EXPECT_EQ(run(db().load_offline(other)).value().size(), 1u);
  EXPECT_TRUE(run(db().get_private(other, "storage:bookmarks")).value());
  if (!is_memory()) {  // and no orphan rows are left behind
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM roster_items"), 1);
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM roster_groups"), 2);
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM offline_messages"), 1);
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM private_data"), 1);
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM scram_credentials"), 1);
  }
}

TEST_P(store, list_accounts_by_domain_and_all_sorted) {
  for (auto* j : {"zed@b.test", "amy@b.test", "bo@a.test", "amy@a.test", "a.b@a.test"})
    ASSERT_TRUE(run(db().create_account(make_jid(j), {})).value());
  auto in_a = run(db().list_accounts("a.test")).value();
  EXPECT_EQ(in_a, (std::vector{make_jid("a.b@a.test"), make_jid("amy@a.test"), make_jid("bo@a.test")}));
  auto all = run(db().list_accounts("")).value();
  EXPECT_EQ(all, (std::vector{make_jid("a.b@a.test"), make_jid("amy@a.test"), make_jid("bo@a.test"),
                              make_jid("amy@b.test"), make_jid("zed@b.test")}));
  EXPECT_TRUE(run(db().list_accounts("c.test")).value().empty());
}

TEST_P(store, ping_answers) { EXPECT_TRUE(run(db().ping())); }

}  // namespace
}  // namespace storage_test
