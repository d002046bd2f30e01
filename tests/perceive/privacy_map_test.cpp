// The privacy map is fed hand-made foreground masks, so each test states exactly what the
// background models saw, and checks what the map still hides.
#include "perceive/privacy_map.hpp"

#include <cmath>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

const cv::Size kSize(160, 120);

cv::Mat scene_with(const std::vector<cv::Rect>& persons) {
  cv::Mat img(kSize, CV_8UC3, cv::Scalar(90, 110, 100));
  for (const auto& p : persons) img(p).setTo(cv::Scalar(30, 30, 200));
  return img;
}

ForegroundMasks masks_of(const std::vector<cv::Rect>& moving) {
  ForegroundMasks m;
  m.moving = cv::Mat::zeros(kSize, CV_8U);
  for (const auto& r : moving) m.moving(r).setTo(255);
  return m;
}

/// The map without its always-hidden border, so that each test sees only what it causes.
PrivacyMap map_without_border(PrivacyMapConfig config = {}) {
  config.border_px = 0;
  return PrivacyMap(config);
}

bool covered(const PrivacyRegions& got, const cv::Rect& person) {
  if (got.whole_frame) return true;
  cv::Mat hidden = cv::Mat::zeros(kSize, CV_8U);
  for (const auto& r : got.regions) hidden(r).setTo(255);
  return cv::countNonZero(hidden(person)) == person.area();
}

TEST(PrivacyMap, HidesTheWholeFrameWhileNothingIsKnownOfIt) {
  PrivacyMap map = map_without_border();
  ForegroundMasks warming = masks_of({});
  warming.warming_up = true;
  EXPECT_TRUE(map.update(scene_with({}), warming, {}, 0.0).whole_frame);
  ForegroundMasks light = masks_of({});
  light.illumination_change = true;
  EXPECT_TRUE(map.update(scene_with({}), light, {}, 0.2).whole_frame);
  const PrivacyRegions calm = map.update(scene_with({}), masks_of({}), {}, 0.4);
  EXPECT_FALSE(calm.whole_frame);
  EXPECT_TRUE(calm.regions.empty());
}

TEST(PrivacyMap, AddsAMarginToWhatTheMasksSaw) {
  PrivacyMap map = map_without_border();
  // The models saw only the torso; head and legs are within the margin.
  const cv::Rect torso(70, 50, 10, 14);
  const PrivacyRegions got = map.update(scene_with({torso}), masks_of({torso}), {}, 0.0);
  ASSERT_FALSE(got.whole_frame);
  EXPECT_TRUE(covered(got, cv::Rect(70, 44, 10, 26)));
}

TEST(PrivacyMap, APersonStillLongAfterTheModelsAbsorbedThemStaysHidden) {
  PrivacyMap map = map_without_border();
  const cv::Rect person(40, 30, 12, 30);
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  // They walk in and sit: foreground for a few seconds, then the models absorb them.
  for (int i = 1; i <= 10; ++i) map.update(scene_with({person}), masks_of({person}), {}, i * 0.2);
  for (int i = 11; i < 5 * 600; ++i) {
    const PrivacyRegions got = map.update(scene_with({person}), masks_of({}), {}, i * 0.2);
    ASSERT_TRUE(covered(got, person)) << "at " << i * 0.2 << " s";
  }
  // They leave: the bench shows again, and is no longer hidden.
  const PrivacyRegions after = map.update(scene_with({}), masks_of({}), {}, 600.2);
  EXPECT_TRUE(after.regions.empty());
}

TEST(PrivacyMap, AWalkersTrailIsShownAgainBehindThem) {
  PrivacyMap map = map_without_border();
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  PrivacyRegions got;
  for (int i = 0; i < 20; ++i) {
    const cv::Rect at(10 + 6 * i, 40, 10, 30);
    got = map.update(scene_with({at}), masks_of({at}), {}, 0.2 * (i + 1));
    ASSERT_TRUE(covered(got, at));
  }
  // Only the walker's surroundings are hidden, not the path from the left edge.
  ASSERT_EQ(got.regions.size(), 1u);
  EXPECT_GT(got.regions[0].x, 80);
}

TEST(PrivacyMap, BoxesOfTheAnalysisAreHiddenEvenWithoutForeground) {
  PrivacyMap map = map_without_border();
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  const cv::Rect box(100, 20, 8, 20);
  EXPECT_TRUE(covered(map.update(scene_with({}), masks_of({}), {box}, 0.2), box));
}

TEST(PrivacyMap, APartSmallerThanAPersonThereGrowsToAPersonsSize) {
  PrivacyMap map = map_without_border();
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  // Only a head was seen; a person standing there is 40 pixels tall.
  const cv::Rect head(70, 30, 6, 6);
  const PersonHeightAt height = [](cv::Point2d) { return 40.0; };
  const PrivacyRegions got = map.update(scene_with({}), masks_of({head}), {}, 0.2, height);
  EXPECT_TRUE(covered(got, cv::Rect(63, 30, 20, 40))) << "the body below the head";
  // Without a known height, only the margin.
  PrivacyMap plain = map_without_border();
  plain.update(scene_with({}), masks_of({}), {}, 0.0);
  EXPECT_FALSE(covered(plain.update(scene_with({}), masks_of({head}), {}, 0.2),
                       cv::Rect(63, 30, 20, 40)));
}

/// A walker followed while seen, from x = 20 at 20 pixels a second, who then matches the
/// background (a dark coat passing a dark window) and is seen no more, nor followed.
/// Returns what the map hides at `at_s`, the walker having gone on at `pace` after 1 s.
PrivacyRegions after_losing_a_walker(double at_s, double pace, cv::Rect* where) {
  PrivacyMap map = map_without_border();
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  const auto walker_at = [](double t, double v) {
    return cv::Rect(20 + static_cast<int>(std::lround(v * t)), 40, 8, 20);
  };
  for (double t = 0.2; t <= 1.0 + 1e-9; t += 0.2) {
    const cv::Rect seen = walker_at(t, 20.0);
    const FollowedPerson followed{7, cv::Rect2d(seen), {20.0, 0.0}, t};
    map.update(scene_with({seen}), masks_of({seen}), {seen}, t, {}, {followed});
  }
  PrivacyRegions got;
  for (double t = 1.2; t <= at_s + 1e-9; t += 0.2) {
    got = map.update(scene_with({}), masks_of({}), {}, t);
  }
  *where = cv::Rect(walker_at(1.0, 20.0).x + static_cast<int>(std::lround(pace * (at_s - 1.0))),
                    40, 8, 20);
  return got;
}

TEST(PrivacyMap, AWalkerTheAnalysisLostStaysHiddenNearWhereTheyWereGoing) {
  cv::Rect walker;
  EXPECT_TRUE(covered(after_losing_a_walker(2.0, 20.0, &walker), walker)) << "kept on";
  EXPECT_TRUE(covered(after_losing_a_walker(3.0, 20.0, &walker), walker)) << "kept on, later";
  EXPECT_TRUE(covered(after_losing_a_walker(2.0, -20.0, &walker), walker)) << "turned back";
  EXPECT_TRUE(covered(after_losing_a_walker(2.0, 0.0, &walker), walker)) << "stopped";
}

TEST(PrivacyMap, ALostWalkersRegionIsShownAgainAfterTheHold) {
  cv::Rect walker;
  const PrivacyRegions got = after_losing_a_walker(1.0 + PrivacyMapConfig{}.lost_person_hold_s +
                                                       0.4,
                                                   20.0, &walker);
  ASSERT_FALSE(got.whole_frame);
  EXPECT_TRUE(got.regions.empty());
}

TEST(PrivacyMap, TheImagesEdgesAreAlwaysHidden) {
  PrivacyMap map;  // someone entering is a sliver there, thinner than the models can see
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  const PrivacyRegions got = map.update(scene_with({}), masks_of({}), {}, 0.2);
  for (const cv::Rect& sliver : {cv::Rect(0, 40, 4, 30), cv::Rect(156, 10, 4, 30),
                                 cv::Rect(50, 0, 20, 4), cv::Rect(50, 116, 20, 4)}) {
    EXPECT_TRUE(covered(got, sliver)) << sliver;
  }
  EXPECT_FALSE(covered(got, cv::Rect(50, 40, 10, 10)));
}

TEST(PrivacyMap, ASpeckAtTheEdgeIsTakenForSomeoneEnteringTheView) {
  const PersonHeightAt height = [](cv::Point2d) { return 40.0; };
  // Only a foot of someone stepping in at the left edge was seen: far less than a person's
  // part, which in the middle of the image would be noise.
  const cv::Rect foot(6, 90, 3, 3);
  PrivacyMap map;
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  EXPECT_TRUE(covered(map.update(scene_with({}), masks_of({foot}), {}, 0.2, height),
                      cv::Rect(0, 55, 12, 38)))
      << "the body above the foot";
  const cv::Rect speck(70, 90, 3, 3);
  PrivacyMap middle;
  middle.update(scene_with({}), masks_of({}), {}, 0.0);
  EXPECT_FALSE(covered(middle.update(scene_with({}), masks_of({speck}), {}, 0.2, height),
                       cv::Rect(66, 55, 12, 38)));
}

TEST(PrivacyMap, WhatNeverComesBackIsShownAfterTheLongestHold) {
  PrivacyMapConfig config;
  config.max_hold_s = 60;
  PrivacyMap map = map_without_border(config);
  const cv::Rect parcel(40, 80, 20, 10);
  map.update(scene_with({}), masks_of({}), {}, 0.0);
  map.update(scene_with({parcel}), masks_of({parcel}), {}, 1.0);
  EXPECT_FALSE(map.update(scene_with({parcel}), masks_of({}), {}, 50.0).regions.empty());
  EXPECT_TRUE(map.update(scene_with({parcel}), masks_of({}), {}, 62.0).regions.empty());
}

}  // namespace
}  // namespace vigie::perceive
