#include <cmath>
#include <random>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "perceive/analysis_mask.hpp"
#include "perceive/background.hpp"
#include "perceive/blobs.hpp"

namespace vigie::perceive {
namespace {

constexpr double kFps = 5.0;

/// A textured street of `tile` px paving stones, without noise.
cv::Mat street_texture(double brightness = 1.0, int tile = 16) {
  cv::Mat img(180, 320, CV_8UC3);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      const int base = 90 + ((x / tile + y / tile) % 2) * 25;
      img.at<cv::Vec3b>(y, x) = cv::Vec3b(static_cast<uchar>(base), static_cast<uchar>(base + 5),
                                          static_cast<uchar>(base + 10));
    }
  }
  img.convertTo(img, -1, brightness);
  return img;
}

/// `img` seen through a camera: with sensor noise.
cv::Mat with_noise(std::mt19937& rng, const cv::Mat& img) {
  cv::Mat noise(img.size(), CV_16SC3);
  cv::randn(noise, 0, 3);
  cv::theRNG().state = rng();
  cv::Mat out;
  img.convertTo(out, CV_16SC3);
  out += noise;
  out.convertTo(out, CV_8UC3);
  return out;
}

/// A textured street with sensor noise: enough structure for the models to be realistic.
cv::Mat street(std::mt19937& rng, double brightness = 1.0) {
  return with_noise(rng, street_texture(brightness));
}

void person(cv::Mat& img, int x, int y_foot, int h) {
  cv::rectangle(img, cv::Rect(x - h / 6, y_foot - h, h / 3, h), cv::Scalar(30, 40, 160),
                cv::FILLED);
}

TEST(DualBackgroundTest, MovingPersonIsForegroundInTheFastModel) {
  std::mt19937 rng(1);
  DualBackground bg({}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  ForegroundMasks m;
  for (int i = 0; i < 10; ++i) {
    cv::Mat f = street(rng);
    person(f, 40 + i * 12, 150, 60);
    m = bg.apply(f);
  }
  EXPECT_FALSE(m.warming_up);
  EXPECT_FALSE(m.illumination_change);
  const cv::Rect where(40 + 9 * 12 - 10, 90, 20, 60);
  EXPECT_GT(cv::countNonZero(m.moving(where)), 0.6 * where.area());
  EXPECT_LT(m.moving_fraction, 0.1);
}

// Someone walking inside an analysis mask is never foreground; the same walk beside it is.
TEST(AnalysisMaskTest, MotionInsideAMaskNeverBecomesForeground) {
  // Source pixels are twice the analysis image's: the mask is scaled to the analysis size.
  const AnalysisMask mask({{{0, 0}, {320, 0}, {320, 360}, {0, 360}}}, 2.0, {320, 180});
  EXPECT_NEAR(mask.share(), 0.5, 0.02);
  ASSERT_EQ(mask.source_boxes().size(), 1u);
  EXPECT_EQ(mask.source_boxes()[0], cv::Rect2d(0, 0, 320, 360));
  auto foreground_of_walk = [&](int x0) {
    std::mt19937 rng(3);
    DualBackground bg({}, kFps);
    int foreground = 0;
    for (int i = 0; i < 40; ++i) {
      cv::Mat f = street(rng);
      if (i >= 20) person(f, x0 + (i - 20) * 4, 150, 60);
      const ForegroundMasks m = bg.apply(mask.apply(f));
      if (i >= 20) foreground += cv::countNonZero(m.moving);
    }
    return foreground;
  };
  EXPECT_EQ(foreground_of_walk(30), 0) << "the walk inside the mask";
  EXPECT_GT(foreground_of_walk(190), 20 * 200) << "the same walk outside it";
  // Without any polygon nothing is copied or changed.
  const AnalysisMask none({}, 2.0, {320, 180});
  std::mt19937 rng(4);
  const cv::Mat f = street(rng);
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.apply(f).data, f.data);
}

TEST(DualBackgroundTest, AreaMaskKeepsTheGapBetweenPeopleWalkingSideBySide) {
  std::mt19937 rng(3);
  DualBackground bg({}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  ForegroundMasks m;
  int x = 0;
  for (int i = 0; i < 10; ++i) {
    cv::Mat f = street(rng);
    x = 40 + i * 12;
    person(f, x, 150, 60);       // 20 px wide, from x - 10
    person(f, x + 23, 150, 60);  // 3 px of street between the two
    m = bg.apply(f);
  }
  const cv::Rect gap(x + 10, 100, 3, 40);
  // Blobs for tracking join the two; area measures (density) must not count the street.
  EXPECT_GT(cv::countNonZero(m.moving(gap)), 0.8 * gap.area());
  EXPECT_LT(cv::countNonZero(m.moving_area(gap)), 0.2 * gap.area());
  const cv::Rect body(x - 8, 100, 16, 40);
  EXPECT_GT(cv::countNonZero(m.moving_area(body)), 0.8 * body.area());
}

TEST(DualBackgroundTest, LeftObjectBecomesStaticForegroundThenStaysThere) {
  std::mt19937 rng(2);
  DualBackground bg({.fast_absorb_s = 2.0, .slow_absorb_s = 60.0}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  const cv::Rect bag(200, 140, 16, 14);
  ForegroundMasks m;
  for (int i = 0; i < static_cast<int>(20 * kFps); ++i) {  // 20 s after the bag is left
    cv::Mat f = street(rng);
    cv::rectangle(f, bag, cv::Scalar(20, 20, 20), cv::FILLED);
    m = bg.apply(f);
  }
  EXPECT_LT(cv::countNonZero(m.moving(bag)), 0.2 * bag.area()) << "fast model absorbed it";
  EXPECT_GT(cv::countNonZero(m.static_fg(bag)), 0.6 * bag.area()) << "slow model still sees it";
  EXPECT_LT(cv::countNonZero(m.static_fg), 2 * bag.area()) << "nothing else is static";
}

TEST(DualBackgroundTest, LeftObjectStaysStaticWhileACloudsShadowPassesOverIt) {
  std::mt19937 rng(5);
  DualBackground bg({}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  const cv::Rect bag(200, 140, 16, 14);
  // A band of shadow over half the view darkens ground and bag alike, as a cloud's does;
  // the gain that follows the frame's mean brightness then lifts the sunlit half, the bag
  // with it, and the fast model flags the change.
  auto scene = [&](int shade_x) {
    cv::Mat f = street_texture();
    cv::rectangle(f, bag, cv::Scalar(60, 110, 170), cv::FILLED);
    const cv::Rect shade = cv::Rect(shade_x, 0, 160, f.rows) & cv::Rect({0, 0}, f.size());
    if (!shade.empty()) f(shade).convertTo(f(shade), -1, 0.7);
    return with_noise(rng, f);
  };
  for (int i = 0; i < static_cast<int>(20 * kFps); ++i) bg.apply(scene(-1000));
  // The band drifts in from the left at 6 px a frame, over the bag and on.
  double least_held = 1.0, least_strict = 1.0;
  for (int x = -160; x <= 320; x += 6) {
    const ForegroundMasks m = bg.apply(scene(x));
    least_held = std::min(least_held, cv::countNonZero(m.static_fg(bag)) / double(bag.area()));
    least_strict =
        std::min(least_strict, cv::countNonZero(m.static_strict(bag)) / double(bag.area()));
  }
  // At the worst frame the light test explains under half of the bag's change, but the bag
  // never leaves the static map.
  EXPECT_GT(least_held, 0.3) << "the bag stays in the static map while the shadow passes";
  EXPECT_LT(least_strict, 0.1) << "the strict map loses it, as the fast model flags it";
}

TEST(DualBackgroundTest, ExposureChangeOfAFewPercentIsNotForeground) {
  std::mt19937 rng(6);
  DualBackground bg({}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  // The camera's exposure steps up by 12 %: too little for a lighting change, which relearns
  // the fast model, so the frames must be scaled back to the models' brightness.
  double most_moving = 0.0;
  for (int i = 0; i < 10; ++i) {
    const ForegroundMasks m = bg.apply(street(rng, 1.12));
    EXPECT_FALSE(m.illumination_change);
    most_moving = std::max(most_moving, m.moving_fraction);
  }
  EXPECT_LT(most_moving, 0.02);
}

TEST(DualBackgroundTest, CrowdStandingStillIsSolidInTheSlowAreaThoughFlickerHolesTheStaticMap) {
  std::mt19937 rng(4);
  DualBackground bg({.fast_absorb_s = 2.0, .slow_absorb_s = 60.0}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  // People standing packed, still but for small movements here and there (a head turns, a
  // hand moves) that the fast model sees as specks of foreground.
  const cv::Rect crowd(100, 90, 112, 60);
  std::uniform_int_distribution<int> px(crowd.x, crowd.x + crowd.width - 3);
  std::uniform_int_distribution<int> py(crowd.y, crowd.y + crowd.height - 3);
  ForegroundMasks m;
  for (int i = 0; i < static_cast<int>(15 * kFps); ++i) {
    cv::Mat f = street(rng);
    cv::rectangle(f, crowd, cv::Scalar(40, 40, 150), cv::FILLED);
    for (int k = 0; k < 150; ++k)
      cv::rectangle(f, cv::Rect(px(rng), py(rng), 2, 2), cv::Scalar(200, 190, 60), cv::FILLED);
    m = bg.apply(f);
  }
  const cv::Rect inner(crowd.x + 3, crowd.y + 3, crowd.width - 6, crowd.height - 6);
  const double solid = cv::countNonZero(m.slow_area(inner)) / double(inner.area());
  const double mapped = cv::countNonZero(m.static_fg(inner)) / double(inner.area());
  EXPECT_GT(solid, 0.95) << "the slow model holds the whole crowd";
  EXPECT_LT(mapped, solid - 0.05) << "the fast model's specks hole the static map";
}

TEST(DualBackgroundTest, DarkClothesStandingStillAreInTheSlowAreaThoughTheyPassForShadow) {
  std::mt19937 rng(7);
  DualBackground bg({.fast_absorb_s = 2.0, .slow_absorb_s = 60.0}, kFps);
  // Small paving stones: a pattern any 7 × 7 window sees.
  const cv::Mat paving = street_texture(1.0, 4);
  for (int i = 0; i < 20; ++i) bg.apply(with_noise(rng, paving));
  // Someone in dark grey stands still: over the paving the clothes are darker by about
  // half, with the paving's hue, which is what the slow model takes for a shadow. But the
  // paving's pattern gives way to the folds of the clothes, which no shadow does.
  const cv::Rect body(140, 80, 24, 70);
  ForegroundMasks m;
  for (int i = 0; i < static_cast<int>(10 * kFps); ++i) {
    cv::Mat f = paving.clone();
    cv::rectangle(f, body, cv::Scalar(55, 58, 62), cv::FILLED);
    for (int y = body.y; y < body.y + body.height; y += 3)
      cv::line(f, {body.x, y}, {body.x + body.width - 1, y}, cv::Scalar(70, 74, 78));
    m = bg.apply(with_noise(rng, f));
  }
  const cv::Rect inner(body.x + 3, body.y + 3, body.width - 6, body.height - 6);
  const double held = cv::countNonZero(m.slow_area(inner)) / double(inner.area());
  const double mapped = cv::countNonZero(m.static_fg(inner)) / double(inner.area());
  EXPECT_GT(held, 0.95) << "the slow area holds the whole person";
  EXPECT_LT(mapped, 0.8) << "the static map, which leaves shadows out, is holed";
}

/// The ellipse inscribed in `r`, as a mask of `size`.
cv::Mat ellipse_mask(cv::Size size, const cv::Rect& r) {
  cv::Mat mask = cv::Mat::zeros(size, CV_8U);
  cv::ellipse(mask, (r.tl() + r.br()) / 2, r.size() / 2, 0, 0, 360, cv::Scalar(255), cv::FILLED);
  return mask;
}

/// `mask` drawn dark on `img` with soft edges (a person's blur at analysis size).
void soft_shape(cv::Mat& img, const cv::Mat& mask) {
  cv::Mat shape;
  cv::GaussianBlur(mask, shape, {0, 0}, 7.0);
  for (int y = 0; y < img.rows; ++y) {
    for (int x = 0; x < img.cols; ++x) {
      const double a = shape.at<uchar>(y, x) / 255.0;
      auto& p = img.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) p[c] = static_cast<uchar>((1 - a) * p[c] + a * 35);
    }
  }
}

TEST(GhostTest, GroundComingBackIsAGhostAndAnObjectIsNot) {
  std::mt19937 rng(5);
  const cv::Mat ground = street(rng);
  const cv::Rect where(150, 100, 16, 24);
  const cv::Mat mask = ellipse_mask(ground.size(), where);
  cv::Mat with_shape = ground.clone();
  soft_shape(with_shape, mask);
  // The background learned the shape, the frame shows the ground again: a ghost, although
  // its soft outline is no sharper in the background than the tiles are in the frame.
  EXPECT_TRUE(is_ghost(ground, with_shape, mask, where));
  // The shape is in the frame and not in the background: an object left there.
  EXPECT_FALSE(is_ghost(with_shape, ground, mask, where));
}

/// Fine random texture (gravel, worn paving) around grey 110, standard deviation about 10.
cv::Mat gravel(std::uint32_t seed, cv::Size size) {
  cv::theRNG().state = seed;
  cv::Mat noise(size, CV_32FC1), gray;
  cv::randn(noise, 110, 40);
  cv::GaussianBlur(noise, noise, {0, 0}, 1.0);
  noise.convertTo(gray, CV_8U);
  cv::Mat bgr;
  cv::cvtColor(gray, bgr, cv::COLOR_GRAY2BGR);
  return bgr;
}

TEST(LightingTest, MottledShadeOnTexturedGroundIsLightAndATexturedObjectIsNot) {
  const cv::Mat ground = gravel(1, {320, 180});
  // The dappled edge of a cloud's shadow: the light changes within a few pixels, which
  // scrambles the texture's correlation window by window but not the ratio's smoothness.
  cv::Mat shaded = ground.clone();
  for (int y = 0; y < shaded.rows; ++y) {
    for (int x = 0; x < shaded.cols; ++x) {
      const double g = 0.72 + 0.2 * std::sin(x * 2 * CV_PI / 24) * std::sin(y * 2 * CV_PI / 28);
      auto& p = shaded.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) p[c] = cv::saturate_cast<uchar>(p[c] * g);
    }
  }
  const cv::Rect inner(10, 10, 300, 160);
  const double light =
      cv::countNonZero(lighting_only(shaded, ground)(inner)) / static_cast<double>(inner.area());
  EXPECT_GE(light, 0.9);
  // A patterned coat on the same ground: as textured, but its own pattern, not the ground's.
  cv::Mat with_object = ground.clone();
  const cv::Rect coat(140, 70, 40, 40);
  gravel(2, coat.size()).copyTo(with_object(coat));
  const cv::Rect coat_inside(coat.x + 4, coat.y + 4, coat.width - 8, coat.height - 8);
  const double object_light = cv::countNonZero(lighting_only(with_object, ground)(coat_inside)) /
                              static_cast<double>(coat_inside.area());
  EXPECT_LE(object_light, 0.1);
}

/// The light test as whole-image arithmetic, one temporary image per step: the definition
/// LightTest must keep to while it computes the same pixel by pixel.
cv::Mat lighting_only_by_images(const cv::Mat& frame, const cv::Mat& background) {
  cv::Mat i, b;
  cv::cvtColor(frame, i, cv::COLOR_BGR2GRAY);
  cv::cvtColor(background, b, cv::COLOR_BGR2GRAY);
  i.convertTo(i, CV_32F);
  b.convertTo(b, CV_32F);
  const cv::Size window(7, 7);
  cv::Mat mi, mb, mii, mbb, mib;
  cv::boxFilter(i, mi, CV_32F, window);
  cv::boxFilter(b, mb, CV_32F, window);
  cv::boxFilter(i.mul(i), mii, CV_32F, window);
  cv::boxFilter(b.mul(b), mbb, CV_32F, window);
  cv::boxFilter(i.mul(b), mib, CV_32F, window);
  const cv::Mat var_i = mii - mi.mul(mi);
  const cv::Mat var_b = mbb - mb.mul(mb);
  const cv::Mat cov = mib - mi.mul(mb);
  cv::Mat denom;
  cv::sqrt(cv::max(var_i.mul(var_b), 1e-3), denom);
  const cv::Mat ncc = cov / denom;
  const cv::Mat textured = (var_b > 25.0) & (var_i > 25.0);
  const cv::Mat ratio_px = (i + 1.0) / (b + 1.0);
  cv::Mat ratio_smooth, detail;
  cv::GaussianBlur(ratio_px, ratio_smooth, {0, 0}, 3.0);
  cv::divide(ratio_px - ratio_smooth, ratio_smooth, detail);
  cv::boxFilter(detail.mul(detail), detail, CV_32F, window);
  const cv::Mat smooth_light = detail < 0.06 * 0.06;
  const cv::Mat same_pattern = textured & ((ncc > 0.6) | smooth_light);
  const cv::Mat ratio = (mi + 1.0) / (mb + 1.0);
  cv::Mat fc, bc;
  frame.convertTo(fc, CV_32FC3);
  background.convertTo(bc, CV_32FC3);
  std::vector<cv::Mat> f_ch, b_ch;
  cv::split(fc, f_ch);
  cv::split(bc, b_ch);
  const cv::Mat f_sum = f_ch[0] + f_ch[1] + f_ch[2] + 1.0;
  const cv::Mat b_sum = b_ch[0] + b_ch[1] + b_ch[2] + 1.0;
  cv::Mat hue_shift = cv::Mat::zeros(frame.size(), CV_32F);
  for (int c = 0; c < 3; ++c)
    hue_shift = cv::max(hue_shift, cv::abs(f_ch[c] / f_sum - b_ch[c] / b_sum));
  const cv::Mat flat = ~textured & (ratio > 0.55) & (ratio < 1.8) & (hue_shift < 0.03);
  return same_pattern | flat;
}

/// Pixels where two light decisions differ, within `where` (255 = compared).
int light_disagreements(const cv::Mat& a, const cv::Mat& b, const cv::Mat& where) {
  cv::Mat differ = a != b;
  return cv::countNonZero(differ & where);
}

TEST(LightingTest, PixelByPixelTestDecidesAsTheWholeImageFormulas) {
  // Every case the test tells apart at once: mottled shade on textured ground, a textured
  // object, flat ground lit, and a coloured coat on it, with sensor noise on all.
  std::mt19937 rng(7);
  const cv::Mat ground = gravel(11, {320, 180});
  cv::Mat scene = ground.clone();
  for (int y = 0; y < scene.rows; ++y) {
    for (int x = 0; x < scene.cols; ++x) {
      const double g = 0.7 + 0.25 * std::sin(x * 2 * CV_PI / 30) * std::sin(y * 2 * CV_PI / 22);
      auto& p = scene.at<cv::Vec3b>(y, x);
      for (int c = 0; c < 3; ++c) p[c] = cv::saturate_cast<uchar>(p[c] * g);
    }
  }
  gravel(12, {40, 50}).copyTo(scene(cv::Rect(30, 40, 40, 50)));
  const cv::Rect flat(180, 20, 120, 120);
  ground(flat).setTo(cv::Scalar(100, 110, 120));
  scene(flat).setTo(cv::Scalar(70, 77, 84));
  scene(cv::Rect(220, 60, 30, 40)).setTo(cv::Scalar(40, 60, 150));
  const cv::Mat frame = with_noise(rng, scene);
  const cv::Mat background = with_noise(rng, ground);
  const cv::Mat everywhere(frame.size(), CV_8U, cv::Scalar(255));

  const cv::Mat expected = lighting_only_by_images(frame, background);
  // The scene holds both answers in quantity, so an agreement is not one of all-light.
  const int light = cv::countNonZero(expected);
  EXPECT_GT(light, static_cast<int>(expected.total() / 5));
  EXPECT_LT(light, static_cast<int>(expected.total() * 4 / 5));
  EXPECT_EQ(light_disagreements(lighting_only(frame, background), expected, everywhere), 0);

  // With candidates: the same answer on them, 0 elsewhere, whether the candidates lie in a
  // corner (confined work) or far apart (the whole image); the buffers are reused.
  LightTest test;
  cv::Mat corner = cv::Mat::zeros(frame.size(), CV_8U);
  cv::circle(corner, {25, 25}, 15, cv::Scalar(255), cv::FILLED);
  cv::Mat apart = corner.clone();
  apart(cv::Rect(200, 50, 100, 100)).setTo(127);
  for (const cv::Mat& candidates : {corner, apart, corner}) {
    const cv::Mat& decided = test.run(frame, background, candidates);
    EXPECT_EQ(light_disagreements(decided, expected, candidates != 0), 0);
    EXPECT_EQ(cv::countNonZero(decided & (candidates == 0)), 0);
  }
  // A part of the image is tested as an image of its own, its edges as the image's edges.
  const cv::Rect part(100, 30, 90, 70);
  EXPECT_EQ(light_disagreements(test.run(frame(part), background(part)),
                                lighting_only_by_images(frame(part).clone(),
                                                        background(part).clone()),
                                everywhere(part)),
            0);
}

TEST(MajorityTest, SameAsTheMedianOfABinaryMask) {
  // Masks of every texture: speckle, solid shapes with ragged edges, shapes on the border,
  // and the all-set and all-clear images; the buffers are reused between sizes.
  cv::RNG rng(5);
  cv::Mat out, sum, expected;
  for (int i = 0; i < 24; ++i) {
    const cv::Size size = i % 3 == 0 ? cv::Size(37, 23) : cv::Size(320, 180);
    cv::Mat noise(size, CV_8U);
    rng.fill(noise, cv::RNG::UNIFORM, 0, 256);
    if (i % 4 != 0) cv::GaussianBlur(noise, noise, {0, 0}, 0.5 + i % 4);
    const cv::Mat mask = i == 22 ? cv::Mat(size, CV_8U, cv::Scalar(255))
                         : i == 23 ? cv::Mat::zeros(size, CV_8U)
                                   : cv::Mat(noise > cv::mean(noise)[0] + i % 5 - 2);
    cv::medianBlur(mask, expected, 5);
    majority_5x5(mask, out, sum);
    ASSERT_EQ(out.size(), mask.size());
    ASSERT_EQ(out.type(), CV_8U);
    EXPECT_EQ(cv::countNonZero(out != expected), 0) << "mask " << i;
    if (i < 22) {
      // Neither answer is trivial: the median both removes and keeps pixels.
      EXPECT_GT(cv::countNonZero(mask & ~expected), 0) << "mask " << i;
      EXPECT_GT(cv::countNonZero(expected), 0) << "mask " << i;
    }
  }
}

TEST(DualBackgroundTest, SuddenGlobalLightingChangeIsNotForeground) {
  std::mt19937 rng(3);
  DualBackground bg({}, kFps);
  for (int i = 0; i < 20; ++i) bg.apply(street(rng));
  // Lights switched: everything 45 % brighter at once, and stays so.
  long foreground_after = 0;
  for (int i = 0; i < 25; ++i) {
    const ForegroundMasks m = bg.apply(street(rng, 1.45));
    if (i >= 10) foreground_after += cv::countNonZero(m.moving) + cv::countNonZero(m.static_fg);
  }
  EXPECT_LE(foreground_after, 50) << "the scene settles within two seconds of the change";
}

TEST(BlobsTest, ScaledToSourcePixelsAndFilteredByPerspective) {
  cv::Mat mask = cv::Mat::zeros(180, 320, CV_8U);
  cv::rectangle(mask, cv::Rect(100, 100, 10, 30), 255, cv::FILLED);  // person-sized near
  cv::rectangle(mask, cv::Rect(20, 160, 2, 2), 255, cv::FILLED);     // speckle
  // Calibrated: ground 10 m wide across 640 px at the bottom.
  const auto h = Homography::from_points({{0, 360}, {640, 360}, {480, 100}, {160, 100}},
                                         {{0, 0}, {10, 0}, {10, 30}, {0, 30}});
  const PersonScale scale(h, {});
  const auto blobs = find_blobs(mask, 2.0, scale, {});
  ASSERT_EQ(blobs.size(), 1u);
  EXPECT_DOUBLE_EQ(blobs[0].box.x, 200);
  EXPECT_DOUBLE_EQ(blobs[0].box.height, 60);
  EXPECT_DOUBLE_EQ(blobs[0].foot.y, 260);
  ASSERT_TRUE(blobs[0].person_height_px);
  EXPECT_GT(*blobs[0].person_height_px, 40);
  EXPECT_LT(*blobs[0].person_height_px, 200);
}

TEST(PersonScaleTest, FarPeopleAreSmallerAndZonesServeWithoutCalibration) {
  const auto h = Homography::from_points({{0, 360}, {640, 360}, {480, 100}, {160, 100}},
                                         {{0, 0}, {10, 0}, {10, 30}, {0, 30}});
  const PersonScale calibrated(h, {});
  EXPECT_GT(*calibrated.person_height_px({320, 350}),
            1.5 * *calibrated.person_height_px({320, 120}));
  const PersonScale zoned(std::nullopt, {{{{0, 0}, {100, 0}, {100, 100}, {0, 100}}, 55.0}});
  EXPECT_DOUBLE_EQ(*zoned.person_height_px({50, 50}), 55.0);
  EXPECT_FALSE(PersonScale(std::nullopt, {}).person_height_px({50, 50}));
}

}  // namespace
}  // namespace vigie::perceive
