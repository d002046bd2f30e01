#include "ingest/sampler.hpp"

#include <gtest/gtest.h>

#include <random>

namespace vigie::ingest {
namespace {

int count_taken(FrameSampler& sampler, double fps, double seconds, double jitter = 0.0) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> noise(-jitter, jitter);
  int taken = 0;
  const int frames = static_cast<int>(seconds * fps);
  for (int i = 0; i < frames; ++i) {
    taken += sampler.take(i / fps + (jitter > 0 ? noise(rng) : 0.0)) ? 1 : 0;
  }
  return taken;
}

TEST(FrameSamplerTest, TwentyFiveToFive) {
  FrameSampler sampler(5.0);
  EXPECT_EQ(count_taken(sampler, 25.0, 10.0), 50);
}

TEST(FrameSamplerTest, ThirtyToFiveAndNonIntegerRatio) {
  FrameSampler a(5.0);
  EXPECT_EQ(count_taken(a, 30.0, 10.0), 50);
  FrameSampler b(5.0);
  EXPECT_NEAR(count_taken(b, 12.5, 20.0), 100, 1);
  FrameSampler c(7.0);
  EXPECT_NEAR(count_taken(c, 25.0, 10.0), 70, 1);
}

TEST(FrameSamplerTest, JitteredTimestampsAverageOut) {
  FrameSampler sampler(5.0);
  EXPECT_NEAR(count_taken(sampler, 25.0, 20.0, 0.008), 100, 2);
}

TEST(FrameSamplerTest, FollowsTimestampsNotFrameCount) {
  // Variable frame rate: 50 fps for 2 s, then 10 fps for 2 s: still 5 per second.
  FrameSampler sampler(5.0);
  int taken = 0;
  for (int i = 0; i < 100; ++i) taken += sampler.take(i * 0.02) ? 1 : 0;
  for (int i = 0; i < 20; ++i) taken += sampler.take(2.0 + i * 0.1) ? 1 : 0;
  EXPECT_EQ(taken, 20);
}

TEST(FrameSamplerTest, GapRealignsInsteadOfBursting) {
  FrameSampler sampler(5.0);
  EXPECT_TRUE(sampler.take(0.0));
  EXPECT_TRUE(sampler.take(10.0));    // after a 10 s gap, one frame...
  EXPECT_FALSE(sampler.take(10.04));  // ...not a burst to catch up
  EXPECT_TRUE(sampler.take(10.2));
}

TEST(FrameSamplerTest, SlowerSourceKeepsEveryFrameAndZeroMeansAll) {
  FrameSampler slow(5.0);
  EXPECT_EQ(count_taken(slow, 2.0, 10.0), 20);
  FrameSampler all(0.0);
  EXPECT_EQ(count_taken(all, 25.0, 4.0), 100);
}

TEST(FrameSamplerTest, BackwardsJumpRestarts) {
  FrameSampler sampler(5.0);
  EXPECT_TRUE(sampler.take(5.0));
  EXPECT_TRUE(sampler.take(0.0));
  EXPECT_FALSE(sampler.take(0.04));
}

}  // namespace
}  // namespace vigie::ingest
