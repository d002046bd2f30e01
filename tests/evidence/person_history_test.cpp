#include "evidence/person_history.hpp"

#include <gtest/gtest.h>

namespace vigie::evidence {
namespace {

std::vector<cv::Rect2d> box(double x) {
  return {cv::Rect2d(x, 0, 10, 10)};
}

TEST(PersonHistory, BetweenKeepsANeighbourOnEachSide) {
  PersonHistory history;
  for (int i = 0; i < 10; ++i) history.add(i, box(i));
  const auto got = history.between(3.5, 5.5);
  ASSERT_EQ(got.size(), 4u);  // 3 (neighbour), 4, 5, 6 (neighbour)
  EXPECT_DOUBLE_EQ(got.front().pts_s, 3.0);
  EXPECT_DOUBLE_EQ(got.back().pts_s, 6.0);
  EXPECT_TRUE(PersonHistory().between(0, 1).empty());
}

TEST(PersonHistory, ForgetsOldEntriesAndStartsOverWhenTheClockGoesBack) {
  PersonHistory history(5.0);
  for (int i = 0; i <= 20; ++i) history.add(i, box(i));
  EXPECT_EQ(history.size(), 6u);  // 15..20
  history.add(1.0, box(1));       // a reconnection: the stream clock starts again
  EXPECT_EQ(history.size(), 1u);
  history.clear();
  EXPECT_EQ(history.size(), 0u);
}

TEST(BoxesAt, TakesTheNearestEntryWithinTolerance) {
  const std::vector<TimedBoxes> h{{1.0, box(1)}, {2.0, box(2)}, {3.0, box(3)}};
  auto got = boxes_at(h, 2.2, 0.5);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0].x, 2.0);
  got = boxes_at(h, 0.6, 0.5);  // before the first entry, but near it
  ASSERT_EQ(got.size(), 1u);
  EXPECT_DOUBLE_EQ(got[0].x, 1.0);
}

TEST(BoxesAt, UnitesBothNeighboursWhenNoneIsNearEnough) {
  const std::vector<TimedBoxes> h{{1.0, box(1)}, {5.0, box(5)}};
  const auto got = boxes_at(h, 3.0, 0.5);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_DOUBLE_EQ(got[0].x, 1.0);
  EXPECT_DOUBLE_EQ(got[1].x, 5.0);
  // Past the last entry there is one neighbour: it is used however old.
  EXPECT_EQ(boxes_at(h, 9.0, 0.5).size(), 1u);
  EXPECT_TRUE(boxes_at({}, 1.0).empty());
}

}  // namespace
}  // namespace vigie::evidence
