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

/// One textured square walking right by `step` analysis px per frame over textured ground.
cv::Mat walker(int frame, cv::Point start, int step, cv::Mat& moving) {
  cv::Mat img = textured({320, 180}, 3);
  const cv::Rect r(start.x + frame * step, start.y, 20, 40);
  textured(r.size(), 9).copyTo(img(r));
  moving = cv::Mat::zeros(img.size(), CV_8U);
  moving(r).setTo(255);
  return img;
}

TEST(FlowFieldTest, FlowAroundWhatMovesIsTheWholeImagesFlowThere) {
  const PersonScale scale(std::nullopt, {});
  FlowConfig whole_config;
  whole_config.motion_margin = 0;
  FlowField whole(whole_config, {320, 180}, 2.0, scale, {{}});
  FlowField around({}, {320, 180}, 2.0, scale, {{}});
  cv::Mat moving;
  std::vector<ZoneFlow> a, b;
  for (int i = 0; i < 5; ++i) {
    const cv::Mat img = walker(i, {20, 110}, 5, moving);
    a = whole.update(img, moving, 0.2);
    b = around.update(img, moving, 0.2);
  }
  // The walker is a corner of the image: the flow was computed there only.
  ASSERT_EQ(around.last_regions().size(), 1u);
  const cv::Rect region = around.last_regions()[0];
  EXPECT_LT(region.area(), 160 * 90 / 2);
  EXPECT_EQ(whole.last_regions(), std::vector<cv::Rect>{cv::Rect(0, 0, 160, 90)});
  // Where it moves, the vectors are the whole image's, to a hundredth of a coarse pixel.
  cv::Mat fg;
  cv::resize(moving, fg, whole.last_flow().size(), 0, 0, cv::INTER_NEAREST);
  double largest = 0, length = 0;
  int n = 0;
  for (int y = 0; y < fg.rows; ++y) {
    for (int x = 0; x < fg.cols; ++x) {
      if (!fg.at<uchar>(y, x)) continue;
      ASSERT_TRUE(region.contains({x, y}));
      const cv::Vec2f p = whole.last_flow().at<cv::Vec2f>(y, x);
      const cv::Vec2f q = around.last_flow().at<cv::Vec2f>(y, x);
      largest = std::max(largest, cv::norm(p - q));
      length += cv::norm(p);
      ++n;
    }
  }
  ASSERT_GT(n, 0);
  EXPECT_GT(length / n, 1.5) << "the walker moves 2.5 coarse px per frame";
  EXPECT_LT(largest, 0.01);
  // And so are the zone's statistics.
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  EXPECT_NEAR(b[0].mean_speed, a[0].mean_speed, 0.02 * a[0].mean_speed);
  EXPECT_NEAR(b[0].mean_direction.x, a[0].mean_direction.x, 0.01);
  EXPECT_DOUBLE_EQ(b[0].moving_fraction, a[0].moving_fraction);
  // Outside the region nothing was computed.
  EXPECT_EQ(cv::countNonZero(around.last_flow().reshape(1) != 0) > 0, true);
  cv::Mat outside = around.last_flow().clone();
  outside(region).setTo(cv::Scalar::all(0));
  EXPECT_EQ(cv::countNonZero(outside.reshape(1)), 0);
}

TEST(FlowFieldTest, NothingMovingCostsNoFlowAndReadsStill) {
  const PersonScale scale(std::nullopt, {});
  FlowField flow({}, {320, 180}, 2.0, scale, {{}});
  const cv::Mat still = cv::Mat::zeros(180, 320, CV_8U);
  std::vector<ZoneFlow> z;
  // The scene changes (a walker the mask does not show): nothing is computed all the same.
  for (int i = 0; i < 3; ++i) {
    cv::Mat ignored;
    z = flow.update(walker(i, {100, 60}, 5, ignored), still, 0.2);
  }
  EXPECT_TRUE(flow.last_regions().empty());
  ASSERT_EQ(z.size(), 1u);
  EXPECT_EQ(z[0].mean_speed, 0);
  EXPECT_EQ(z[0].moving_fraction, 0);
  EXPECT_EQ(cv::countNonZero(flow.last_flow().reshape(1)), 0);
}

}  // namespace
}  // namespace vigie::perceive
