#include "ingest/backoff.hpp"

#include <gtest/gtest.h>

namespace vigie::ingest {
namespace {

TEST(BackoffTest, DelaysStayWithinBoundsAndGrow) {
  Backoff backoff(1.0, 30.0, 42);
  double previous_ceiling = 0.0;
  for (int i = 0; i < 40; ++i) {
    const double ceiling = backoff.ceiling();
    EXPECT_GE(ceiling, previous_ceiling);
    const double d = backoff.next();
    EXPECT_GE(d, 1.0) << "attempt " << i;
    EXPECT_LE(d, 30.0) << "attempt " << i;
    EXPECT_LE(d, ceiling) << "attempt " << i;
    EXPECT_GE(d, ceiling / 2.0) << "attempt " << i;
    previous_ceiling = ceiling;
  }
  EXPECT_DOUBLE_EQ(backoff.ceiling(), 30.0);
}

TEST(BackoffTest, FirstDelaysFollowTheDoublingCeiling) {
  Backoff backoff(1.0, 30.0, 7);
  EXPECT_DOUBLE_EQ(backoff.next(), 1.0);  // [max(1, 0.5), 1]
  const double second = backoff.next();   // [1, 2]
  EXPECT_GE(second, 1.0);
  EXPECT_LE(second, 2.0);
  const double third = backoff.next();  // [2, 4]
  EXPECT_GE(third, 2.0);
  EXPECT_LE(third, 4.0);
}

TEST(BackoffTest, ResetStartsOverAtTheMinimum) {
  Backoff backoff(1.0, 30.0, 3);
  for (int i = 0; i < 10; ++i) (void)backoff.next();
  EXPECT_GT(backoff.ceiling(), 20.0);
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_DOUBLE_EQ(backoff.next(), 1.0);
}

TEST(BackoffTest, SameSeedSameSequenceAndJitterSpreads) {
  Backoff a(1.0, 30.0, 99);
  Backoff b(1.0, 30.0, 99);
  Backoff c(1.0, 30.0, 100);
  bool differs = false;
  for (int i = 0; i < 10; ++i) {
    const double da = a.next();
    EXPECT_DOUBLE_EQ(da, b.next());
    differs = differs || da != c.next();
  }
  EXPECT_TRUE(differs);
}

}  // namespace
}  // namespace vigie::ingest
