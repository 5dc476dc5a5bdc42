#include "bosh/rid_window.hpp"

#include <gtest/gtest.h>

namespace ofs::bosh {
namespace {
using verdict = rid_window::verdict;

TEST(bosh_rid_window, the_next_rid_is_processed_and_up_to_requests_ahead_may_wait) {
  rid_window w(100, 2);  // the creation request was rid 100
  EXPECT_EQ(w.classify(101), verdict::next);
  EXPECT_EQ(w.classify(102), verdict::early);
  EXPECT_EQ(w.classify(103), verdict::out_of_window);
  EXPECT_EQ(w.classify(1'000'000), verdict::out_of_window);
  EXPECT_EQ(w.classify(100), verdict::repeat);
  EXPECT_EQ(w.classify(1), verdict::repeat);
  w.processed();
  EXPECT_EQ(w.last_processed(), 101u);
  EXPECT_EQ(w.classify(101), verdict::repeat);
  EXPECT_EQ(w.classify(102), verdict::next);
  EXPECT_EQ(w.classify(103), verdict::early);
  EXPECT_EQ(w.classify(104), verdict::out_of_window);
}

TEST(bosh_rid_window, a_window_of_one_allows_no_early_request) {
  rid_window w(7, 1);
  EXPECT_EQ(w.classify(8), verdict::next);
  EXPECT_EQ(w.classify(9), verdict::out_of_window);
}

TEST(bosh_rid_window, the_last_requests_responses_are_kept_for_repeats) {
  rid_window w(10, 2);
  w.answered(10, "r10");
  w.answered(11, "r11");
  ASSERT_NE(w.cached(10), nullptr);
  EXPECT_EQ(*w.cached(10), "r10");
  w.answered(12, "r12");  // only 'requests' of them
  EXPECT_EQ(w.cached(10), nullptr);
  EXPECT_EQ(*w.cached(11), "r11");
  EXPECT_EQ(*w.cached(12), "r12");
  EXPECT_EQ(w.cached(13), nullptr);
}

TEST(bosh_rid_window, acknowledged_responses_are_forgotten) {
  rid_window w(10, 3);
  w.answered(10, "a");
  w.answered(11, "b");
  w.answered(12, "c");
  w.acknowledged(11);
  EXPECT_EQ(w.cached(10), nullptr);
  EXPECT_EQ(w.cached(11), nullptr);
  EXPECT_EQ(*w.cached(12), "c");
  EXPECT_EQ(w.cached_count(), 1u);
}

}  // namespace
}  // namespace ofs::bosh
