// Multi-user chat rooms, second part, on every backend: the subject, the rooms' archives
// (XEP-0313) and the occupant-id secret of a service.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

const char* const lobby = "lobby@conference.example.test";

st::archived_message said(std::int64_t seq, std::string nick) {
  return {seq, "id" + std::to_string(seq), lobby, std::move(nick),
          "<message><body>" + std::to_string(seq) + "</body></message>"};
}

class muc_archive : public store {
protected:
  // The lobby's archive: seq 1..6, Romeo the odd ones, Juliet the even ones.
  void fill() {
    ASSERT_TRUE(run(db().save_muc_room({make_jid(lobby), "<x/>", "", "", {}, {}})));
    std::vector<st::archived_message> batch;
    for (std::int64_t i = 1; i <= 6; ++i) batch.push_back(said(i, i % 2 ? "Romeo" : "Juliet"));
    ASSERT_TRUE(run(db().append_muc_archive(make_jid(lobby), batch)));
  }
  st::archive_page query(st::archive_query q) {
    return run(db().query_muc_archive(make_jid(lobby), q)).value();
  }
};

TEST_P(muc_archive, pages_forward_and_backward_with_counts) {
  fill();
  st::archive_query q;
  q.max = 4;
  auto p = query(q);
  EXPECT_EQ(seqs(p), (v{1, 2, 3, 4}));
  EXPECT_FALSE(p.complete);
  EXPECT_EQ(p.count, 6u);
  EXPECT_EQ(p.items[0].with, lobby);
  EXPECT_EQ(p.items[0].with_resource, "Romeo");
  EXPECT_EQ(p.items[0].xml, "<message><body>1</body></message>");
  q.after = 4;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{5, 6}));
  EXPECT_TRUE(p.complete);
  st::archive_query back;
  back.max = 4;
  back.from_end = true;
  p = query(back);
  EXPECT_EQ(seqs(p), (v{3, 4, 5, 6}));
  EXPECT_FALSE(p.complete);
  back.before = 3;
  p = query(back);
  EXPECT_EQ(seqs(p), (v{1, 2}));
  EXPECT_TRUE(p.complete);
}

TEST_P(muc_archive, filters_by_occupant_and_checks_named_ids) {
  fill();
  st::archive_query q;
  q.with = lobby;
  q.with_resource = "Juliet";
  auto p = query(q);
  EXPECT_EQ(seqs(p), (v{2, 4, 6}));
  EXPECT_EQ(p.count, 3u);
  st::archive_query named;
  named.must_exist = {{2, "id2"}};
  EXPECT_FALSE(query(named).missing_ref);
  named.must_exist = {{2, "id3"}};
  EXPECT_TRUE(query(named).missing_ref);
}

TEST_P(muc_archive, is_refused_for_an_unsaved_room_and_goes_with_the_room) {
  auto refused =
      run(db().append_muc_archive(make_jid("nowhere@conference.example.test"), {said(1, "Romeo")}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), st::storage_error::no_account);
  fill();
  // A batch with a row that cannot be stored (a seq taken) is not stored at all.
  EXPECT_FALSE(run(db().append_muc_archive(make_jid(lobby), {said(7, "Romeo"), said(6, "Romeo")})));
  EXPECT_EQ(query({}).count, 6u);
  EXPECT_EQ(run(db().expire_archive(3)).value(), 2u);  // with the users' archives
  EXPECT_EQ(seqs(query({})), (v{3, 4, 5, 6}));
  ASSERT_TRUE(run(db().remove_muc_room(make_jid(lobby))).value());
  ASSERT_TRUE(run(db().save_muc_room({make_jid(lobby), "<x/>", "", "", {}, {}})));
  EXPECT_EQ(query({}).count, 0u);  // the same name again starts empty
}

TEST_P(muc_archive, subject_and_service_secret_are_kept) {
  ASSERT_TRUE(run(db().save_muc_room({make_jid(lobby), "<x/>", "Verona", "Romeo", {}, {}})));
  EXPECT_EQ(run(db().muc_service_secret("conference.example.test", "first")).value(), "first");
  EXPECT_EQ(run(db().muc_service_secret("conference.example.test", "second")).value(), "first");
  EXPECT_EQ(run(db().muc_service_secret("conference.other.test", "other")).value(), "other");
  if (!is_memory()) reopen();
  auto rooms = run(db().load_muc_rooms("")).value();
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0].subject, "Verona");
  EXPECT_EQ(rooms[0].subject_by, "Romeo");
  EXPECT_EQ(run(db().muc_service_secret("conference.example.test", "third")).value(), "first");
}

INSTANTIATE_TEST_SUITE_P(backend, muc_archive, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace storage_test
