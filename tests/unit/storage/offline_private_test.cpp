// Offline messages, private data and concurrent callers, on every backend.
#include <atomic>
#include <boost/asio/strand.hpp>
#include <set>
#include <thread>

#include "tests/unit/storage/store_fixture.hpp"

namespace storage_test {
namespace {

TEST_P(store, offline_messages_come_back_in_arrival_order) {
  auto owner = account("juliet@example.test");
  std::vector<std::string> sent{R"(<message from="romeo@example.test" type="chat"><body>1</body></message>)",
                                "<message><body>caf\xc3\xa9 'quoted' \"double\" & \\ back</body></message>",
                                "<message><body>3</body></message>"};
  for (auto& xml : sent) ASSERT_TRUE(run(db().store_offline(owner, xml, 100)).value());
  auto got = run(db().load_offline(owner)).value();
  ASSERT_EQ(got.size(), 3u);
  for (std::size_t i = 0; i < got.size(); ++i) EXPECT_EQ(got[i].xml, sent[i]);
  EXPECT_LT(got[0].id, got[1].id);
  EXPECT_LT(got[1].id, got[2].id);
}

TEST_P(store, offline_quota_refuses_and_stores_nothing) {
  auto owner = account("juliet@example.test");
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(run(db().store_offline(owner, "<m/>", 3)).value());
  auto full = run(db().store_offline(owner, "<over/>", 3));
  ASSERT_TRUE(full);
  EXPECT_FALSE(*full);
  EXPECT_EQ(run(db().load_offline(owner)).value().size(), 3u);
  EXPECT_TRUE(run(db().store_offline(owner, "<m/>", 4)).value());  // a larger quota admits it
  EXPECT_FALSE(run(db().store_offline(account("nurse@example.test"), "<m/>", 0)).value());
}

TEST_P(store, delete_offline_removes_up_to_an_id_and_ids_keep_growing) {
  auto owner = account("juliet@example.test");
  auto other = account("nurse@example.test");
  for (int i = 0; i < 4; ++i)
    ASSERT_TRUE(run(db().store_offline(owner, "<m" + std::to_string(i) + "/>", 100)).value());
  ASSERT_TRUE(run(db().store_offline(other, "<keep/>", 100)).value());
  auto all = run(db().load_offline(owner)).value();
  ASSERT_EQ(all.size(), 4u);
  ASSERT_TRUE(run(db().delete_offline(owner, all[1].id)));
  auto left = run(db().load_offline(owner)).value();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, all[2].id);
  ASSERT_TRUE(run(db().delete_offline(owner, all[3].id)));
  EXPECT_TRUE(run(db().load_offline(owner)).value().empty());
  EXPECT_EQ(run(db().load_offline(other)).value().size(), 1u);  // others untouched
  ASSERT_TRUE(run(db().store_offline(owner, "<later/>", 100)).value());
  EXPECT_GT(run(db().load_offline(owner)).value().at(0).id, all[3].id);  // ids are never reused
}

TEST_P(store, offline_for_an_owner_without_an_account) {
  auto ghost = make_jid("ghost@example.test");
  auto stored = run(db().store_offline(ghost, "<m/>", 100));
  ASSERT_FALSE(stored);
  EXPECT_EQ(stored.error(), st::storage_error::no_account);
  EXPECT_TRUE(run(db().load_offline(ghost)).value().empty());
  EXPECT_TRUE(run(db().delete_offline(ghost, 1000)));
}

TEST_P(store, a_large_offline_message_round_trips) {
  auto owner = account("juliet@example.test");
  std::string xml = "<message><body>" + std::string(4 << 20, 'x') + "</body></message>";  // 4 MB
  ASSERT_TRUE(run(db().store_offline(owner, xml, 10)).value());
  auto got = run(db().load_offline(owner)).value();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].xml, xml);
}

TEST_P(store, private_data_put_get_and_overwrite) {
  auto owner = account("juliet@example.test");
  auto other = account("nurse@example.test");
  EXPECT_EQ(run(db().get_private(owner, "vcard-temp")).value(), std::nullopt);
  ASSERT_TRUE(run(db().put_private(owner, "vcard-temp", "<vCard/>")));
  ASSERT_TRUE(run(db().put_private(owner, "storage:bookmarks", "<storage/>")));
  ASSERT_TRUE(run(db().put_private(owner, "vcard-temp", "<vCard><FN>Juliet</FN></vCard>")));
  EXPECT_EQ(run(db().get_private(owner, "vcard-temp")).value(), "<vCard><FN>Juliet</FN></vCard>");
  EXPECT_EQ(run(db().get_private(owner, "storage:bookmarks")).value(), "<storage/>");
  EXPECT_EQ(run(db().get_private(other, "vcard-temp")).value(), std::nullopt);
  ASSERT_TRUE(run(db().put_private(owner, "empty", "")));
  EXPECT_EQ(run(db().get_private(owner, "empty")).value(), "");
  auto ghost = run(db().put_private(make_jid("ghost@example.test"), "k", "v"));
  ASSERT_FALSE(ghost);
  EXPECT_EQ(ghost.error(), st::storage_error::no_account);
}

// Many callers on the strands of a 2-thread io_context, as in the server.
template <class Body>
void on_two_threads(int count, Body body) {
  asio::io_context ctx;
  for (int i = 0; i < count; ++i) asio::co_spawn(asio::make_strand(ctx), body(i), asio::detached);
  std::thread second([&] { ctx.run(); });
  ctx.run();
  second.join();
}

TEST_P(store, concurrent_offline_stores_all_arrive) {
  auto owner = account("juliet@example.test");
  std::atomic<int> stored = 0, resumed_on_strand = 0;
  on_two_threads(100, [&](int i) -> asio::awaitable<void> {
    auto ex = co_await asio::this_coro::executor;
    auto xml = "<message id='" + std::to_string(i) + "'/>";
    auto r = co_await db().store_offline(owner, xml, 1000);
    if (r && *r) ++stored;
    if (ex.target<asio::strand<asio::io_context::executor_type>>()->running_in_this_thread())
      ++resumed_on_strand;
  });
  EXPECT_EQ(stored, 100);
  EXPECT_EQ(resumed_on_strand, 100);  // each caller resumed on its own strand
  auto got = run(db().load_offline(owner)).value();
  ASSERT_EQ(got.size(), 100u);
  std::set<std::string> bodies;
  for (std::size_t i = 0; i < got.size(); ++i) {
    bodies.insert(got[i].xml);
    if (i > 0) {
      EXPECT_LT(got[i - 1].id, got[i].id);
    }
  }
  EXPECT_EQ(bodies.size(), 100u);
}

TEST_P(store, concurrent_offline_stores_respect_the_quota) {
  auto owner = account("juliet@example.test");
  std::atomic<int> stored = 0, refused = 0;
  on_two_threads(60, [&](int) -> asio::awaitable<void> {
    auto r = co_await db().store_offline(owner, "<m/>", 10);
    if (r) ++(*r ? stored : refused);
  });
  EXPECT_EQ(stored, 10);
  EXPECT_EQ(refused, 50);
  EXPECT_EQ(run(db().load_offline(owner)).value().size(), 10u);
}

TEST_P(store, concurrent_roster_changes_get_distinct_versions) {
  auto owner = account("romeo@example.test");
  std::mutex m;
  std::set<std::uint64_t> versions;
  on_two_threads(40, [&](int i) -> asio::awaitable<void> {
    st::roster_item item;
    item.contact = make_jid("c" + std::to_string(i) + "@example.test");
    item.groups = {"G" + std::to_string(i % 3)};
    auto v = co_await db().put_roster_item(owner, item);
    std::lock_guard lock(m);
    if (v) versions.insert(*v);
  });
  EXPECT_EQ(versions.size(), 40u);
  auto r = run(db().load_roster(owner)).value();
  EXPECT_EQ(r.version, 40u);
  EXPECT_EQ(r.items.size(), 40u);
}

}  // namespace
}  // namespace storage_test
