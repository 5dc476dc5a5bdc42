#include "bosh/session_table.hpp"

#include <gtest/gtest.h>

#include <set>
#include <thread>

namespace ofs::bosh {
namespace {

TEST(bosh_session_table, sids_are_128_random_bits_in_hex) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    auto sid = new_sid();
    ASSERT_TRUE(sid);
    EXPECT_EQ(sid->size(), 32u);
    EXPECT_EQ(sid->find_first_not_of("0123456789abcdef"), std::string::npos) << *sid;
    seen.insert(*sid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(bosh_session_table, sessions_are_found_by_their_sid_only) {
  session_table<int> t(10);
  auto sid = *new_sid();
  ASSERT_TRUE(t.add(sid, std::make_shared<int>(42)));
  ASSERT_NE(t.find(sid), nullptr);
  EXPECT_EQ(*t.find(sid), 42);
  EXPECT_EQ(t.find(sid.substr(1)), nullptr);
  EXPECT_EQ(t.find(""), nullptr);
  EXPECT_FALSE(t.add(sid, std::make_shared<int>(1)));  // taken
  t.erase(sid);
  EXPECT_EQ(t.find(sid), nullptr);
  EXPECT_EQ(t.size(), 0u);
}

TEST(bosh_session_table, a_full_table_refuses_new_sessions) {
  session_table<int> t(2);
  EXPECT_TRUE(t.add(*new_sid(), std::make_shared<int>(1)));
  EXPECT_TRUE(t.add(*new_sid(), std::make_shared<int>(2)));
  EXPECT_FALSE(t.add(*new_sid(), std::make_shared<int>(3)));
  EXPECT_EQ(t.all().size(), 2u);
}

TEST(bosh_session_table, threads_add_and_erase_concurrently) {
  session_table<int> t(100000);
  std::vector<std::thread> threads;
  for (int n = 0; n < 4; ++n)
    threads.emplace_back([&t] {
      for (int i = 0; i < 1000; ++i) {
        auto sid = *new_sid();
        ASSERT_TRUE(t.add(sid, std::make_shared<int>(i)));
        ASSERT_NE(t.find(sid), nullptr);
        if (i % 2) t.erase(sid);
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(t.size(), 2000u);
}

}  // namespace
}  // namespace ofs::bosh
