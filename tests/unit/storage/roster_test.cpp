// Rosters and their versions, on every backend.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

st::roster_item item(std::string_view contact, std::string name = {}, std::vector<std::string> groups = {}) {
  st::roster_item i;
  i.contact = make_jid(contact);
  i.name = std::move(name);
  i.groups = std::move(groups);
  return i;
}

TEST_P(store, roster_a_new_account_has_an_empty_roster_at_version_0) {
  auto owner = account("romeo@example.test");
  auto r = run(db().load_roster(owner)).value();
  EXPECT_EQ(r.version, 0u);
  EXPECT_TRUE(r.items.empty());
}

TEST_P(store, roster_put_stores_every_field_and_groups_in_order) {
  auto owner = account("romeo@example.test");
  auto juliet = item("juliet@example.test", "Juliet \xe2\x9d\xa4", {"Friends", "Capulet", "Friends"});
  juliet.sub = st::subscription::both;
  juliet.ask_out = true;
  juliet.approved = true;
  auto v = run(db().put_roster_item(owner, juliet));
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(*v, 1u);
  auto r = run(db().load_roster(owner)).value();
  EXPECT_EQ(r.version, 1u);
  juliet.groups = {"Friends", "Capulet"};  // duplicates dropped, order kept
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0], juliet);
}

TEST_P(store, roster_every_subscription_state_round_trips) {
  auto owner = account("romeo@example.test");
  using st::subscription;
  std::vector<st::roster_item> put;
  int n = 0;
  for (auto s : {subscription::none, subscription::to, subscription::from, subscription::both}) {
    auto i = item("c" + std::to_string(n++) + "@example.test");
    i.sub = s;
    i.pending_in = s == subscription::none || s == subscription::to;
    put.push_back(i);
    ASSERT_TRUE(run(db().put_roster_item(owner, i)));
  }
  EXPECT_EQ(run(db().load_roster(owner)).value().items, put);
}

TEST_P(store, roster_update_replaces_the_item_and_the_version_grows) {
  auto owner = account("romeo@example.test");
  ASSERT_EQ(run(db().put_roster_item(owner, item("nurse@example.test", "Nurse", {"A", "B"}))).value(), 1u);
  auto changed = item("nurse@example.test", "The Nurse", {"C"});
  changed.sub = st::subscription::to;
  ASSERT_EQ(run(db().put_roster_item(owner, changed)).value(), 2u);
  auto r = run(db().load_roster(owner)).value();
  EXPECT_EQ(r.version, 2u);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0], changed);
  changed.groups.clear();
  ASSERT_EQ(run(db().put_roster_item(owner, changed)).value(), 3u);
  EXPECT_EQ(run(db().load_roster(owner)).value().items.at(0).groups, std::vector<std::string>{});
}

TEST_P(store, roster_items_are_sorted_by_contact_and_stored_bare) {
  auto owner = account("romeo@example.test");
  ASSERT_TRUE(run(db().put_roster_item(owner, item("tybalt@example.test/sword"))));
  ASSERT_TRUE(run(db().put_roster_item(owner, item("benvolio@example.test"))));
  ASSERT_TRUE(run(db().put_roster_item(owner, item("mercutio@example.test"))));
  auto r = run(db().load_roster(owner)).value();
  ASSERT_EQ(r.items.size(), 3u);
  EXPECT_EQ(r.items[0].contact, make_jid("benvolio@example.test"));
  EXPECT_EQ(r.items[1].contact, make_jid("mercutio@example.test"));
  EXPECT_EQ(r.items[2].contact, make_jid("tybalt@example.test"));
  EXPECT_EQ(r.version, 3u);
}

TEST_P(store, roster_remove_bumps_the_version_only_when_something_went) {
  auto owner = account("romeo@example.test");
  ASSERT_TRUE(run(db().put_roster_item(owner, item("a@example.test", "", {"G"}))));
  ASSERT_TRUE(run(db().put_roster_item(owner, item("b@example.test"))));
  EXPECT_EQ(run(db().remove_roster_item(owner, make_jid("a@example.test/res"))).value(), 3u);
  EXPECT_EQ(run(db().remove_roster_item(owner, make_jid("a@example.test"))).value(), 3u);
  EXPECT_EQ(run(db().remove_roster_item(owner, make_jid("never@example.test"))).value(), 3u);
  auto r = run(db().load_roster(owner)).value();
  EXPECT_EQ(r.version, 3u);
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].contact, make_jid("b@example.test"));
}

TEST_P(store, roster_put_with_subscription_remove_removes) {
  auto owner = account("romeo@example.test");
  ASSERT_TRUE(run(db().put_roster_item(owner, item("a@example.test"))));
  auto gone = item("a@example.test");
  gone.sub = st::subscription::remove;
  EXPECT_EQ(run(db().put_roster_item(owner, gone)).value(), 2u);
  EXPECT_TRUE(run(db().load_roster(owner)).value().items.empty());
}

TEST_P(store, roster_of_each_owner_is_separate) {
  auto owner = account("romeo@example.test");
  auto mercutio = account("mercutio@example.test");
  ASSERT_TRUE(run(db().put_roster_item(owner, item("a@example.test"))));
  ASSERT_TRUE(run(db().put_roster_item(owner, item("b@example.test"))));
  EXPECT_EQ(run(db().put_roster_item(mercutio, item("a@example.test", "", {"X"}))).value(), 1u);
  auto r = run(db().load_roster(mercutio)).value();
  ASSERT_EQ(r.items.size(), 1u);
  EXPECT_EQ(r.items[0].groups, std::vector<std::string>{"X"});
  EXPECT_EQ(run(db().load_roster(owner)).value().items.at(0).groups, std::vector<std::string>{});
}

TEST_P(store, roster_an_owner_without_an_account_has_nothing_and_cannot_write) {
  auto ghost = make_jid("ghost@example.test");
  auto r = run(db().load_roster(ghost)).value();
  EXPECT_EQ(r.version, 0u);
  EXPECT_TRUE(r.items.empty());
  auto put = run(db().put_roster_item(ghost, item("a@example.test")));
  ASSERT_FALSE(put);
  EXPECT_EQ(put.error(), st::storage_error::no_account);
  EXPECT_EQ(run(db().remove_roster_item(ghost, make_jid("a@example.test"))).value(), 0u);
}

}  // namespace
}  // namespace storage_test
