#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "perceive/flow.hpp"

namespace vigie::perceive {
namespace {

cv::Mat textured(cv::Size size, std::uint64_t seed) {
  cv::Mat img(size, CV_8UC3);
  cv::RNG rng(seed);
  rng.fill(img, cv::RNG::UNIFORM, 40, 200);
  cv::GaussianBlur(img, img, {5, 5}, 1.5);
  return img;
}

/// Squares of texture moving by (dx, dy) per frame, or spreading out from the centre.
cv::Mat scene(int frame, bool spread) {
  cv::Mat img(180, 320, CV_8UC3, cv::Scalar(100, 100, 100));
  const cv::Mat patch = textured({24, 24}, 7);
  const cv::Point2d centre(160, 90);
  for (int k = 0; k < 8; ++k) {
    const double a = k * CV_PI / 4;
    cv::Point2d p = centre + cv::Point2d(std::cos(a), std::sin(a)) * 45.0;
    if (spread) {
      p += cv::Point2d(std::cos(a), std::sin(a)) * (frame * 3.0);
    } else {
      p += cv::Point2d(frame * 4.0, 0);
    }
    const cv::Rect r(static_cast<int>(p.x) - 12, static_cast<int>(p.y) - 12, 24, 24);
    if ((r & cv::Rect(0, 0, 320, 180)) == r) patch.copyTo(img(r));
  }
  return img;
}

TEST(FlowFieldTest, UniformMotionHasOneDirectionAndNoDivergence) {
  const PersonScale scale(std::nullopt, {});
  FlowField flow({}, {320, 180}, 2.0, scale, {{}});
  EXPECT_EQ(flow.flow_width(), 160);
  std::vector<ZoneFlow> z;
  for (int i = 0; i < 4; ++i) z = flow.update(scene(i, false), {}, 0.2);
  ASSERT_EQ(z.size(), 1u);
  EXPECT_FALSE(z[0].metric);
  EXPECT_GT(z[0].direction_histogram[0] + z[0].direction_histogram[7], 0.6);  // towards +x
  EXPECT_GT(z[0].mean_direction.x, 0.9);
  // 4 analysis px/frame = 8 source px per 0.2 s = 40 px/s.
  EXPECT_NEAR(z[0].mean_speed, 40, 15);
}

TEST(FlowFieldTest, SpreadingOutHasPositiveDivergence) {
  const PersonScale scale(std::nullopt, {});
  FlowField spread({}, {320, 180}, 2.0, scale, {{}});
  FlowField shift({}, {320, 180}, 2.0, scale, {{}});
  std::vector<ZoneFlow> a, b;
  for (int i = 0; i < 4; ++i) {
    a = spread.update(scene(i, true), {}, 0.2);
    b = shift.update(scene(i, false), {}, 0.2);
  }
  EXPECT_GT(a[0].divergence, 0.3);
  EXPECT_GT(a[0].divergence, 3 * std::abs(b[0].divergence));
  // Spreading out fills every direction sector; a shift fills one.
  int sectors = 0;
  for (double h : a[0].direction_histogram) sectors += h > 0.05 ? 1 : 0;
  EXPECT_GE(sectors, 6);
}

}  // namespace
}  // namespace vigie::perceive
