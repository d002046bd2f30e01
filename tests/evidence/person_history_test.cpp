#include "evidence/person_history.hpp"

#include <gtest/gtest.h>

namespace vigie::evidence {
namespace {

std::vector<cv::Rect2d> box(double x) {
  return {cv::Rect2d(x, 0, 10, 10)};
}

TEST(PersonHistory, BetweenKeepsANeighbourOnEachSide) {
  PersonHistory history;
  for (int i = 0; i < 10; ++i) history.add({double(i), box(i), {}});
  const auto got = history.between(3.5, 5.5);
  ASSERT_EQ(got.size(), 4u);  // 3 (neighbour), 4, 5, 6 (neighbour)
  EXPECT_DOUBLE_EQ(got.front().pts_s, 3.0);
  EXPECT_DOUBLE_EQ(got.back().pts_s, 6.0);
  EXPECT_TRUE(PersonHistory().between(0, 1).empty());
}

TEST(PersonHistory, ForgetsOldEntriesAndStartsOverWhenTheClockGoesBack) {
  PersonHistory history(5.0);
  for (int i = 0; i <= 20; ++i) history.add({double(i), box(i), {}});
  EXPECT_EQ(history.size(), 6u);  // 15..20
  history.add({1.0, box(1), {}});     // a reconnection: the stream clock starts again
  EXPECT_EQ(history.size(), 1u);
  history.clear();
  EXPECT_EQ(history.size(), 0u);
}

const cv::Size kFrame(640, 480);

TEST(BoxesAt, JoinsBothNeighboursAndEveryEntryWithinTolerance) {
  const std::vector<TimedBoxes> h{
      {1.0, box(1), {}}, {2.0, box(2), {}}, {2.2, box(22), {}}, {2.4, box(24), {}}, {3.0, box(3), {}}};
  // 2.3 lies between 2.2 and 2.4; 2.0 is within the tolerance, 1.0 and 3.0 are not.
  auto got = boxes_at(h, 2.3, kFrame, 0.35);
  std::vector<double> xs;
  for (const auto& b : got.boxes) xs.push_back(b.x);
  EXPECT_EQ(xs, (std::vector<double>{2, 22, 24}));
  // On an analysed frame's own time, its neighbours are hidden too: a person moves between
  // two analysed frames, and a rendered frame may sit anywhere between them.
  got = boxes_at(h, 3.0, kFrame, 0.1);
  xs.clear();
  for (const auto& b : got.boxes) xs.push_back(b.x);
  EXPECT_EQ(xs, (std::vector<double>{24, 3}));
}

TEST(BoxesAt, CarriesWhatIsBelievedToBeAPersonApart) {
  std::vector<TimedBoxes> h{{1.0, box(1), box(100)}};
  const auto got = boxes_at(h, 1.0, kFrame);
  ASSERT_EQ(got.persons.size(), 1u);
  EXPECT_DOUBLE_EQ(got.persons[0].x, 100.0);
}

TEST(BoxesAt, HidesTheWholeFrameWhenNothingIsKnownOfIt) {
  const std::vector<TimedBoxes> h{{1.0, box(1), {}}, {9.0, box(9), {}}};
  for (const double t : {4.0, 12.0, -3.0}) {
    SCOPED_TRACE(t);
    const auto got = boxes_at(h, t, kFrame, 0.5, 2.0);
    ASSERT_EQ(got.boxes.size(), 1u);
    EXPECT_EQ(got.boxes[0], cv::Rect2d(0, 0, 640, 480));
  }
  EXPECT_EQ(boxes_at({}, 1.0, kFrame).boxes, (std::vector<cv::Rect2d>{{0, 0, 640, 480}}));
  // Just after the last analysed frame, or just before the first, someone may have come
  // into view unseen: the whole frame. On the last analysed frame itself, what it hid.
  for (const double t : {9.1, 0.9}) {
    SCOPED_TRACE(t);
    EXPECT_EQ(boxes_at(h, t, kFrame, 0.5, 2.0).boxes,
              (std::vector<cv::Rect2d>{{0, 0, 640, 480}}));
  }
  const auto last = boxes_at(h, 9.0, kFrame, 0.5, 2.0);
  ASSERT_EQ(last.boxes.size(), 1u);
  EXPECT_DOUBLE_EQ(last.boxes[0].x, 9.0);
}

}  // namespace
}  // namespace vigie::evidence
