// Message archives (XEP-0313) on every backend: paging both ways, filters, counts, expiry.
#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

st::archived_message msg(std::int64_t seq, std::string with, std::string resource = "r") {
  return {seq, "id" + std::to_string(seq), std::move(with), std::move(resource),
          "<message><body>" + std::to_string(seq) + "</body></message>"};
}

class archive : public store {
protected:
  // juliet's archive: seq 1..10; even ones with romeo (resources a, b alternating), odd ones with nurse.
  void fill() {
    owner_ = account("juliet@example.test");
    for (std::int64_t i = 1; i <= 10; ++i) {
      auto m = i % 2 ? msg(i, "nurse@example.test") : msg(i, "romeo@example.test", i % 4 ? "a" : "b");
      ASSERT_TRUE(run(db().append_archive(owner_, m)));
    }
  }
  st::archive_page query(st::archive_query q) {
    return run(db().query_archive(owner_, std::move(q))).value();
  }
  jid owner_;
};

TEST_P(archive, pages_forward_with_counts_and_completion) {
  fill();
  st::archive_query q;
  q.max = 4;
  auto p = query(q);
  EXPECT_EQ(seqs(p), (v{1, 2, 3, 4}));
  EXPECT_FALSE(p.complete);
  EXPECT_EQ(p.count, 10u);
  EXPECT_EQ(p.items[0].id, "id1");
  EXPECT_EQ(p.items[0].with, "nurse@example.test");
  EXPECT_EQ(p.items[0].xml, "<message><body>1</body></message>");
  q.after = 4;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{5, 6, 7, 8}));
  q.after = 8;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{9, 10}));
  EXPECT_TRUE(p.complete);
}

TEST_P(archive, pages_backward_from_the_end) {
  fill();
  st::archive_query q;
  q.max = 4;
  q.from_end = true;
  auto p = query(q);
  EXPECT_EQ(seqs(p), (v{7, 8, 9, 10}));  // oldest first within the page
  EXPECT_FALSE(p.complete);
  q.before = 7;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{3, 4, 5, 6}));
  q.before = 3;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{1, 2}));
  EXPECT_TRUE(p.complete);
  EXPECT_EQ(p.count, 10u);
}

TEST_P(archive, filters_by_bare_and_full_jid_and_by_time) {
  fill();
  st::archive_query q;
  q.with = "romeo@example.test";
  auto p = query(q);
  EXPECT_EQ(seqs(p), (v{2, 4, 6, 8, 10}));
  EXPECT_EQ(p.count, 5u);
  EXPECT_TRUE(p.complete);
  q.with_resource = "b";
  EXPECT_EQ(seqs(query(q)), (v{4, 8}));
  q.with_resource = "";
  q.min_seq = 4;
  q.max_seq = 8;
  q.max = 2;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{4, 6}));
  EXPECT_EQ(p.count, 3u);
  EXPECT_FALSE(p.complete);
  q.from_end = true;
  p = query(q);
  EXPECT_EQ(seqs(p), (v{6, 8}));
  q.with = "nobody@example.test";
  p = query(q);
  EXPECT_TRUE(p.items.empty());
  EXPECT_TRUE(p.complete);
  EXPECT_EQ(p.count, 0u);
}

TEST_P(archive, names_unknown_ids_and_keeps_archives_apart) {
  fill();
  st::archive_query q;
  q.must_exist = {{3, "id3"}};
  EXPECT_FALSE(query(q).missing_ref);
  q.must_exist = {{3, "forged"}};
  EXPECT_TRUE(query(q).missing_ref);
  q.must_exist = {{11, "id11"}};
  EXPECT_TRUE(query(q).missing_ref);
  auto romeo = account("romeo@example.test");
  EXPECT_TRUE(run(db().query_archive(romeo, {})).value().items.empty());
  ASSERT_TRUE(run(db().append_archive(romeo, msg(3, "juliet@example.test"))));  // same seq, other owner
  EXPECT_EQ(run(db().query_archive(romeo, {})).value().count, 1u);
  EXPECT_EQ(query({}).count, 10u);
}

TEST_P(archive, refuses_an_owner_without_account_and_a_duplicate_position) {
  fill();
  auto none = run(db().append_archive(make_jid("ghost@example.test"), msg(1, "x@example.test")));
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error(), st::storage_error::no_account);
  EXPECT_FALSE(run(db().append_archive(owner_, msg(5, "x@example.test"))));
  EXPECT_EQ(query({}).count, 10u);
}

TEST_P(archive, expires_old_messages_of_every_owner_and_goes_with_the_account) {
  fill();
  auto romeo = account("romeo@example.test");
  ASSERT_TRUE(run(db().append_archive(romeo, msg(2, "juliet@example.test"))));
  ASSERT_TRUE(run(db().append_archive(romeo, msg(20, "juliet@example.test"))));
  EXPECT_EQ(run(db().expire_archive(6)).value(), 6u);  // juliet 1..5, romeo 2
  EXPECT_EQ(seqs(query({})), (v{6, 7, 8, 9, 10}));
  EXPECT_EQ(run(db().query_archive(romeo, {})).value().count, 1u);
  ASSERT_TRUE(run(db().remove_account(owner_)).value());
  ASSERT_TRUE(run(db().create_account(owner_, {})).value());
  EXPECT_EQ(query({}).count, 0u);
}

TEST_P(archive, survives_a_reopen) {
  if (is_memory()) GTEST_SKIP() << "nothing to reopen";
  fill();
  reopen();
  EXPECT_EQ(query({}).count, 10u);
}

INSTANTIATE_TEST_SUITE_P(backend, archive, ::testing::Values("memory", "sqlite", "postgres"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace storage_test
