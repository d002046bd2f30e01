#include "evidence/yuv420.hpp"

#include <cstdint>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

namespace vigie::evidence {
namespace {

TEST(Yuv420, PlanesAreFullAndHalfSizeRoundedUp) {
  const Yuv420 even = Yuv420::make({640, 360});
  EXPECT_EQ(even.y.size(), cv::Size(640, 360));
  EXPECT_EQ(even.u.size(), cv::Size(320, 180));
  EXPECT_EQ(even.v.size(), cv::Size(320, 180));
  const Yuv420 odd = Yuv420::make({7, 5});
  EXPECT_EQ(odd.u.size(), cv::Size(4, 3));
  EXPECT_EQ(odd.clone().v.size(), cv::Size(4, 3));
}

TEST(Yuv420, ChromaCoverTakesEverySharedSampleAndInsideOnlyWholeOnes) {
  // Luma columns 3..8 and rows 2..6: samples 1..4 share in them, 2..3 lie wholly inside.
  const cv::Rect luma(3, 2, 6, 5);
  EXPECT_EQ(Yuv420::chroma_cover(luma), cv::Rect(1, 1, 4, 3));
  EXPECT_EQ(Yuv420::chroma_inside(luma), cv::Rect(2, 1, 2, 2));
  EXPECT_EQ(Yuv420::chroma_cover(cv::Rect(4, 4, 2, 2)), cv::Rect(2, 2, 1, 1));
  EXPECT_EQ(Yuv420::chroma_inside(cv::Rect(4, 4, 2, 2)), cv::Rect(2, 2, 1, 1));
  EXPECT_TRUE(Yuv420::chroma_inside(cv::Rect(3, 3, 2, 2)).empty());
  EXPECT_EQ(Yuv420::chroma_cover(cv::Rect(-3, -1, 2, 2)), cv::Rect(-2, -1, 2, 2));
}

TEST(Yuv420, ChromaMaskSetsEverySampleAnySetPixelSharesIn) {
  cv::Mat luma = cv::Mat::zeros(5, 7, CV_8U);
  luma.at<std::uint8_t>(0, 0) = 1;
  luma.at<std::uint8_t>(3, 3) = 255;
  luma.at<std::uint8_t>(4, 6) = 9;  // the odd last row and column have samples of their own
  const cv::Mat chroma = chroma_mask(luma);
  ASSERT_EQ(chroma.size(), cv::Size(4, 3));
  cv::Mat expected = cv::Mat::zeros(3, 4, CV_8U);
  expected.at<std::uint8_t>(0, 0) = 255;
  expected.at<std::uint8_t>(1, 1) = 255;
  expected.at<std::uint8_t>(2, 3) = 255;
  EXPECT_EQ(cv::norm(chroma, expected, cv::NORM_INF), 0);
}

TEST(Yuv420, ConversionFollowsBt601LimitedRangeBothWays) {
  // Black, white and grey at the ends of the limited range; chroma neutral for greys.
  EXPECT_NEAR(yuv_of({0, 0, 0})[0], 16.0, 1e-9);
  EXPECT_NEAR(yuv_of({255, 255, 255})[0], 235.0, 1e-9);
  EXPECT_NEAR(yuv_of({64, 64, 64})[1], 128.0, 1e-9);
  EXPECT_NEAR(yuv_of({64, 64, 64})[2], 128.0, 1e-9);
  EXPECT_GT(yuv_of({255, 0, 0})[1], 200.0);  // blue: U high
  EXPECT_GT(yuv_of({0, 0, 255})[2], 200.0);  // red: V high

  // A flat colour survives the round trip, up to rounding.
  for (const cv::Vec3b& colour : {cv::Vec3b(30, 200, 90), cv::Vec3b(200, 40, 60),
                                  cv::Vec3b(64, 64, 64), cv::Vec3b(10, 10, 240)}) {
    const cv::Mat bgr(6, 8, CV_8UC3, cv::Scalar(colour[0], colour[1], colour[2]));
    const Yuv420 yuv = to_yuv420(bgr);
    EXPECT_NEAR(yuv.y.at<std::uint8_t>(5, 7), yuv_of(bgr.at<cv::Vec3b>(0, 0))[0], 0.5);
    EXPECT_NEAR(yuv.u.at<std::uint8_t>(2, 3), yuv_of(bgr.at<cv::Vec3b>(0, 0))[1], 0.5);
    const cv::Mat back = to_bgr(yuv);
    ASSERT_EQ(back.size(), bgr.size());
    EXPECT_LE(cv::norm(back, bgr, cv::NORM_INF), 3.0) << colour;
  }
}

}  // namespace
}  // namespace vigie::evidence
