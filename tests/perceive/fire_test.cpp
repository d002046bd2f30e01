#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "perceive/fire.hpp"

namespace vigie::perceive {
namespace {

cv::Mat street() {
  return cv::Mat(180, 320, CV_8UC3, cv::Scalar(110, 112, 115));
}

/// A flame: a random-shaped orange-yellow tongue over a fixed base, different each frame, its
/// brightness flickering as real flames' does from one frame to the next at 5 fps.
void flame(cv::Mat& img, std::mt19937& rng, cv::Point base, int height) {
  std::uniform_int_distribution<int> jitter(-height / 2, height / 2);
  std::uniform_real_distribution<double> glow(0.75, 1.0);
  std::vector<cv::Point> pts{base + cv::Point(-height / 3, 0), base + cv::Point(height / 3, 0)};
  for (int k = 0; k < 5; ++k) {
    pts.push_back(base + cv::Point(height / 3 - k * height / 6 + jitter(rng),
                                   -height + std::abs(jitter(rng)) + (k % 2) * height / 3));
  }
  const double g = glow(rng);
  cv::fillConvexPoly(img, pts, cv::Scalar(30, 140 * g, 250 * g));
  cv::circle(img, base + cv::Point(jitter(rng) / 3, -height / 4 + jitter(rng) / 3), height / 5,
             cv::Scalar(120 * g, 230 * g, 255 * g), cv::FILLED);
}

/// Runs `draw` for `frames` frames at 5 fps and returns whether any candidate was flame-like
/// in the last frame.
template <typename Draw>
bool flame_like_after(int frames, Draw draw) {
  FireDetector detector({});
  std::vector<FireCandidate> last;
  for (int i = 0; i < frames; ++i) {
    cv::Mat img = street();
    draw(img, i);
    last = detector.update(img, cv::Mat(), cv::Mat(), i * 0.2, 0.2, 2.0);
  }
  for (const auto& c : last) {
    if (c.flame_like) return true;
  }
  return false;
}

TEST(FireDetectorTest, DancingFlameIsFlameLike) {
  std::mt19937 rng(5);
  EXPECT_TRUE(flame_like_after(20, [&](cv::Mat& img, int) { flame(img, rng, {150, 150}, 30); }));
}

TEST(FireDetectorTest, SteadyLitSignIsNot) {
  EXPECT_FALSE(flame_like_after(40, [](cv::Mat& img, int) {
    cv::rectangle(img, cv::Rect(100, 10, 60, 20), cv::Scalar(30, 140, 250), cv::FILLED);
    cv::circle(img, {110, 20}, 6, cv::Scalar(120, 230, 255), cv::FILLED);
  }));
}

TEST(FireDetectorTest, BlinkingOrangeLightIsNot) {
  EXPECT_FALSE(flame_like_after(40, [](cv::Mat& img, int i) {
    if ((i / 2) % 2 == 0) cv::circle(img, {200, 60}, 8, cv::Scalar(30, 150, 255), cv::FILLED);
  }));
}

TEST(FireDetectorTest, WalkerInOrangeIsNot) {
  EXPECT_FALSE(flame_like_after(40, [](cv::Mat& img, int i) {
    const int x = 20 + i * 6;
    const int sway = (i % 2) * 3;
    cv::rectangle(img, cv::Rect(x, 100 + sway, 10, 30), cv::Scalar(30, 140, 250), cv::FILLED);
  }));
}

TEST(FireDetectorTest, FlameColouredShirtOnMovingLegsIsNot) {
  std::mt19937 rng(9);
  FireDetector detector({});
  std::vector<FireCandidate> last;
  for (int i = 0; i < 25; ++i) {
    cv::Mat img = street();
    flame(img, rng, {150, 120}, 30);  // the same dancing shape, but worn
    cv::Mat moving = cv::Mat::zeros(img.size(), CV_8U);
    cv::rectangle(moving, cv::Rect(135, 90, 30, 70), 255, cv::FILLED);  // the body and legs
    last = detector.update(img, moving, cv::Mat(), i * 0.2, 0.2, 2.0);
  }
  for (const auto& c : last) EXPECT_FALSE(c.flame_like);
}

TEST(FireDetectorTest, SlowWalkerInFlameColoursIsNot) {
  // A yellow top over orange trousers, arms and folds changing shape like flames, strolling
  // at two thirds of its height in four seconds: flames stay where they burn.
  std::mt19937 rng(11);
  EXPECT_FALSE(flame_like_after(40, [&](cv::Mat& img, int i) {
    flame(img, rng, {100 + i, 120 + i / 2}, 30);
  }));
}

TEST(FireDetectorTest, ThinYellowLineWithPassersByIsNot) {
  EXPECT_FALSE(flame_like_after(40, [](cv::Mat& img, int i) {
    cv::line(img, {200, 60}, {310, 175}, cv::Scalar(20, 210, 230), 1);
    const int y = 60 + (i * 7) % 110;
    cv::rectangle(img, cv::Rect(200 + (y - 60) - 4, y - 20, 8, 22), cv::Scalar(60, 60, 60),
                  cv::FILLED);
  }));
}

TEST(FireDetectorTest, OrangePostWithSomeoneMovingBesideItIsNot) {
  // An orange-topped post stands on the floor from the start; a person in skin and orange
  // tones moves around and in front of it, their arm swinging over it. The post was there
  // before and stays as it was: scenery, whoever moves near it.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> sway(-4, 4);
  EXPECT_FALSE(flame_like_after(60, [&](cv::Mat& img, int i) {
    cv::rectangle(img, cv::Rect(150, 120, 6, 40), cv::Scalar(150, 170, 190), cv::FILLED);
    cv::rectangle(img, cv::Rect(147, 110, 12, 12), cv::Scalar(20, 120, 240), cv::FILLED);
    const int x = 130 + static_cast<int>(20 * std::sin(i * 0.7));
    cv::rectangle(img, cv::Rect(x, 60, 16, 70), cv::Scalar(60, 60, 70), cv::FILLED);
    cv::circle(img, {x + 8, 52}, 7, cv::Scalar(105, 135, 210), cv::FILLED);  // face
    cv::ellipse(img, {x + 16 + sway(rng), 100 + sway(rng)}, {10, 4}, 30.0 * sway(rng), 0, 360,
                cv::Scalar(105, 135, 210), cv::FILLED);  // a hand swinging over the post
  }));
}

TEST(FireDetectorTest, NeonSignAtNightIsNot) {
  // A lit sign: flame colours, steady letters, the camera's noise on top.
  std::mt19937 rng(4);
  std::normal_distribution<double> noise(0.0, 2.0);
  EXPECT_FALSE(flame_like_after(60, [&](cv::Mat& img, int) {
    img.setTo(cv::Scalar(20, 20, 25));
    cv::putText(img, "OPEN", {60, 80}, cv::FONT_HERSHEY_SIMPLEX, 1.5, cv::Scalar(40, 120, 255), 4);
    cv::Mat n(img.size(), CV_8UC3);
    cv::randn(n, 0, 2);
    img += n;
  }));
}

TEST(FireDetectorTest, GrowingFireIsFlameLike) {
  // A fire taking hold: its flames grow steadily while they dance.
  std::mt19937 rng(7);
  EXPECT_TRUE(flame_like_after(25, [&](cv::Mat& img, int i) {
    flame(img, rng, {150, 150}, 16 + i);
  }));
}

}  // namespace
}  // namespace vigie::perceive
