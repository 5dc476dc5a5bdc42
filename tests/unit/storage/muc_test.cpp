// Persistent multi-user chat rooms, on every backend.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

using namespace std::chrono_literals;

st::muc_room room(std::string_view address, std::string config) {
  return {make_jid(address), std::move(config), {}, {}, {}, {}};
}

st::muc_message message(std::string xml, long long ms) {
  return {std::move(xml), std::chrono::system_clock::time_point(std::chrono::milliseconds(ms))};
}

TEST_P(store, muc_room_saved_comes_back_with_its_affiliations_sorted) {
  auto r = room("lobby@conference.example.test", "<x xmlns='jabber:x:data' type='submit'/>");
  r.affiliations = {{make_jid("romeo@example.test"), "owner", "", ""},
                    {make_jid("juliet@example.test"), "member", "jules", "friend"},
                    {make_jid("tybalt@example.test"), "outcast", "", "fights"}};
  ASSERT_TRUE(run(db().save_muc_room(r)));
  ASSERT_TRUE(run(db().save_muc_room(room("other@conference.other.test", "<x/>"))));
  auto rooms = run(db().load_muc_rooms("conference.example.test")).value();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].room.str(), "lobby@conference.example.test");
  EXPECT_EQ(rooms[0].config, r.config);
  ASSERT_EQ(rooms[0].affiliations.size(), 3u);
  EXPECT_EQ(rooms[0].affiliations[0].who.str(), "juliet@example.test");
  EXPECT_EQ(rooms[0].affiliations[0].nick, "jules");
  EXPECT_EQ(rooms[0].affiliations[0].reason, "friend");
  EXPECT_EQ(rooms[0].affiliations[1].affiliation, "owner");
  EXPECT_EQ(rooms[0].affiliations[2].affiliation, "outcast");
  EXPECT_EQ(run(db().load_muc_rooms("")).value().size(), 2u);
}

TEST_P(store, muc_room_saved_again_replaces_config_and_affiliations_but_keeps_history) {
  auto r = room("lobby@conference.example.test", "<first/>");
  r.affiliations = {{make_jid("romeo@example.test"), "owner", "", ""},
                    {make_jid("juliet@example.test"), "member", "", ""}};
  ASSERT_TRUE(run(db().save_muc_room(r)));
  ASSERT_TRUE(run(db().add_muc_history(r.room, message("<message><body>hi</body></message>", 1000), 10)));
  r.config = "<second/>";
  r.affiliations = {{make_jid("romeo@example.test"), "owner", "", ""}};
  ASSERT_TRUE(run(db().save_muc_room(r)));
  auto rooms = run(db().load_muc_rooms("conference.example.test")).value();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].config, "<second/>");
  ASSERT_EQ(rooms[0].affiliations.size(), 1u);
  ASSERT_EQ(rooms[0].history.size(), 1u);
  EXPECT_EQ(rooms[0].history[0].xml, "<message><body>hi</body></message>");
  EXPECT_EQ(rooms[0].history[0].at.time_since_epoch(), std::chrono::milliseconds(1000));
}

TEST_P(store, muc_history_keeps_the_newest_in_order) {
  auto r = room("lobby@conference.example.test", "<x/>");
  ASSERT_TRUE(run(db().save_muc_room(r)));
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(run(db().add_muc_history(r.room, message("<m" + std::to_string(i) + "/>", i * 1000), 3)));
  auto rooms = run(db().load_muc_rooms("")).value();
  ASSERT_EQ(rooms.size(), 1u);
  ASSERT_EQ(rooms[0].history.size(), 3u);
  EXPECT_EQ(rooms[0].history[0].xml, "<m2/>");
  EXPECT_EQ(rooms[0].history[2].xml, "<m4/>");
  EXPECT_EQ(rooms[0].history[2].at.time_since_epoch(), std::chrono::milliseconds(4000));
}

TEST_P(store, muc_history_of_an_unsaved_room_is_refused) {
  auto done = run(db().add_muc_history(make_jid("ghost@conference.example.test"), message("<m/>", 0), 3));
  ASSERT_FALSE(done);
  EXPECT_EQ(done.error(), st::storage_error::no_account);
  EXPECT_TRUE(run(db().load_muc_rooms("")).value().empty());
}

TEST_P(store, muc_room_removed_takes_its_affiliations_and_history) {
  auto r = room("lobby@conference.example.test", "<x/>");
  r.affiliations = {{make_jid("romeo@example.test"), "owner", "", ""}};
  ASSERT_TRUE(run(db().save_muc_room(r)));
  ASSERT_TRUE(run(db().add_muc_history(r.room, message("<m/>", 0), 3)));
  EXPECT_TRUE(run(db().remove_muc_room(r.room)).value());
  EXPECT_FALSE(run(db().remove_muc_room(r.room)).value());
  EXPECT_TRUE(run(db().load_muc_rooms("")).value().empty());
  if (!is_memory()) {
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM muc_affiliations"), 0);
    EXPECT_EQ(raw_scalar("SELECT count(*) FROM muc_history"), 0);
  }
  ASSERT_TRUE(run(db().save_muc_room(r)));  // the same name again starts empty
  EXPECT_TRUE(run(db().load_muc_rooms("")).value().at(0).history.empty());
}

TEST_P(store, muc_rooms_survive_reopening) {
  auto r = room("lobby@conference.example.test", "<x/>");
  r.affiliations = {{make_jid("romeo@example.test"), "owner", "", ""}};
  ASSERT_TRUE(run(db().save_muc_room(r)));
  ASSERT_TRUE(run(db().add_muc_history(r.room, message("<m/>", 5), 3)));
  if (is_memory()) GTEST_SKIP() << "the memory store lives in one process";
  reopen();
  auto rooms = run(db().load_muc_rooms("conference.example.test")).value();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].affiliations.at(0).who.str(), "romeo@example.test");
  EXPECT_EQ(rooms[0].history.size(), 1u);
}

}  // namespace
}  // namespace storage_test
