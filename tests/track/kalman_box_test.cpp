#include <gtest/gtest.h>

#include "track/kalman_box.hpp"

namespace vigie::track {
namespace {

cv::Rect2d box_at(Point foot, double w, double h) {
  return {foot.x - w / 2.0, foot.y - h, w, h};
}

TEST(KalmanBoxTest, StartsAtTheMeasurementWithZeroVelocity) {
  const KalmanBox k(box_at({100, 200}, 30, 80), KalmanNoise{});
  EXPECT_DOUBLE_EQ(k.foot().x, 100);
  EXPECT_DOUBLE_EQ(k.foot().y, 200);
  EXPECT_DOUBLE_EQ(k.height(), 80);
  EXPECT_EQ(k.velocity(), cv::Point2d(0, 0));
  EXPECT_EQ(k.box(), box_at({100, 200}, 30, 80));
}

TEST(KalmanBoxTest, LearnsVelocityWithIrregularTimeSteps) {
  const cv::Point2d v(40, -10);
  KalmanBox k(box_at({100, 200}, 30, 80), KalmanNoise{});
  double t = 0;
  const double steps[] = {0.2, 0.04, 0.5, 0.1, 0.33};
  for (int i = 0; i < 100; ++i) {
    const double dt = steps[i % 5];
    t += dt;
    k.predict(dt);
    k.update(box_at(Point(100, 200) + v * t, 30, 80));
  }
  EXPECT_NEAR(k.velocity().x, v.x, 0.5);
  EXPECT_NEAR(k.velocity().y, v.y, 0.5);
  // Coasting follows the learned velocity.
  const Point before = k.foot();
  const cv::Point2d std_before = k.foot_std();
  k.predict(1.0);
  EXPECT_NEAR(k.foot().x - before.x, v.x, 0.5);
  EXPECT_GT(k.foot_std().x, std_before.x);
}

TEST(KalmanBoxTest, NonPositiveTimeStepChangesNothing) {
  KalmanBox k(box_at({100, 200}, 30, 80), KalmanNoise{});
  const cv::Point2d std_before = k.foot_std();
  k.predict(0.0);
  k.predict(-1.0);
  EXPECT_EQ(k.foot_std(), std_before);
}

}  // namespace
}  // namespace vigie::track
