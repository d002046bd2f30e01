#include "evidence/overlay.hpp"

#include <cmath>
#include <cstdint>
#include <string>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "evidence/evidence.hpp"

namespace vigie::evidence {
namespace {

cv::Mat checkerboard(int width, int height, int cell) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool white = ((x / cell) + (y / cell)) % 2 == 0;
      img.at<cv::Vec3b>(y, x) = white ? cv::Vec3b(255, 255, 255) : cv::Vec3b(0, 0, 0);
    }
  }
  return img;
}

TEST(Pixelate, GrownBoxBecomesFlatBlocksOfAnEighthOfItsHeight) {
  cv::Mat img = checkerboard(200, 200, 3);
  const cv::Mat before = img.clone();
  // 80 px tall, grown by 10 % on each side: 96 px, blocks of 12 px.
  pixelate_boxes(img, {cv::Rect2d(50, 50, 40, 80)});
  const cv::Rect grown(46, 42, 48, 96);
  for (int by = grown.y; by + 12 <= grown.br().y; by += 12) {
    for (int bx = grown.x; bx + 12 <= grown.br().x; bx += 12) {
      cv::Scalar mean, stddev;
      cv::meanStdDev(img(cv::Rect(bx, by, 12, 12)), mean, stddev);
      EXPECT_LT(stddev[0], 0.5) << "block at " << bx << "," << by;
    }
  }
  // Outside the grown box nothing changed.
  EXPECT_EQ(cv::norm(img(cv::Rect(0, 0, 200, 40)), before(cv::Rect(0, 0, 200, 40)), cv::NORM_INF),
            0);
  EXPECT_EQ(
      cv::norm(img(cv::Rect(100, 0, 100, 200)), before(cv::Rect(100, 0, 100, 200)), cv::NORM_INF),
      0);
}

TEST(Pixelate, SmallAndClippedBoxesAreHidden) {
  cv::Mat img = checkerboard(100, 100, 1);
  // 20 px tall: blocks of the 8 px minimum; the box runs past the image's corner.
  pixelate_boxes(img, {cv::Rect2d(90, 90, 20, 20), cv::Rect2d(-5, -5, 0, 10)});
  cv::Scalar mean, stddev;
  cv::meanStdDev(img(cv::Rect(92, 92, 6, 6)), mean, stddev);
  EXPECT_LT(stddev[0], 0.5);
  EXPECT_GT(mean[0], 60);  // the average of the pattern, not a black box
  EXPECT_LT(mean[0], 190);
}

/// Pixels of `after` that differ from `before` anywhere in their colour.
cv::Mat changed(const cv::Mat& before, const cv::Mat& after) {
  cv::Mat diff, gray;
  cv::absdiff(before, after, diff);
  cv::cvtColor(diff, gray, cv::COLOR_BGR2GRAY);
  return gray > 0;
}

TEST(Privacy, KeepsTheAlertSubjectReadableButNotAPersonOverIt) {
  cv::Mat img = checkerboard(300, 200, 1);
  const cv::Mat before = img.clone();
  PrivacyPlan plan;
  plan.hide = {cv::Rect2d(100, 50, 100, 100)};  // foreground all over the flame
  plan.subject = cv::Rect2d(120, 60, 60, 60);   // the flame
  apply_privacy(img, plan);
  // The subject is as it was; the foreground around it is hidden.
  EXPECT_EQ(cv::norm(img(cv::Rect(120, 60, 60, 60)), before(cv::Rect(120, 60, 60, 60)),
                     cv::NORM_INF),
            0);
  EXPECT_GT(cv::countNonZero(changed(before, img)(cv::Rect(100, 130, 100, 20))), 1000);

  // A walker in front of it is hidden, subject or not.
  cv::Mat again = before.clone();
  plan.persons = {cv::Rect2d(130, 70, 20, 40)};
  apply_privacy(again, plan);
  cv::Scalar mean, stddev;
  cv::meanStdDev(again(cv::Rect(134, 74, 12, 12)), mean, stddev);
  EXPECT_LT(stddev[0], 0.5);
}

TEST(Privacy, HiddenPixelsAreWhatApplyPrivacyChanges) {
  const cv::Mat before = checkerboard(320, 240, 1);
  PrivacyPlan plan;
  plan.hide = {cv::Rect2d(10, 10, 50, 80), cv::Rect2d(200, 100, 200, 200)};
  plan.persons = {cv::Rect2d(150, 40, 20, 50)};
  plan.subject = cv::Rect2d(140, 30, 60, 80);
  for (const bool with_subject : {false, true}) {
    SCOPED_TRACE(with_subject);
    PrivacyPlan p = plan;
    if (!with_subject) p.subject = {};
    cv::Mat img = before.clone();
    apply_privacy(img, p);
    const cv::Mat hidden = hidden_pixels(img.size(), p);
    // On a one-pixel checkerboard every pixelated pixel changes: the two must agree.
    const cv::Mat differ = changed(before, img) != hidden;
    EXPECT_EQ(cv::countNonZero(differ), 0);
  }
  // An alert of another type than fire or abandoned_object has no readable subject.
  Alert a;
  a.region = cv::Rect2d(1, 2, 3, 4);
  a.type = EventType::kFire;
  EXPECT_EQ(readable_subject(a), a.region);
  a.type = EventType::kAbandonedObject;
  EXPECT_EQ(readable_subject(a), a.region);
  a.type = EventType::kPersonOnGround;
  EXPECT_TRUE(readable_subject(a).empty());
}

TEST(PrivacyMask, FillsThePolygonSolidly) {
  cv::Mat img = checkerboard(120, 120, 2);
  burn_privacy_masks(img, {{{10, 10}, {110, 10}, {110, 60}}, {{0, 0}, {5, 5}}});
  EXPECT_EQ(img.at<cv::Vec3b>(15, 100), cv::Vec3b(64, 64, 64));
  EXPECT_EQ(img.at<cv::Vec3b>(50, 108), cv::Vec3b(64, 64, 64));
  EXPECT_NE(img.at<cv::Vec3b>(100, 20), cv::Vec3b(64, 64, 64));  // outside
}

/// A picture whose every luma pixel and every chroma sample differs from its neighbours: a
/// one-pixel luma checkerboard over colours that alternate from one 2 x 2 block to the next.
/// Flattening any cell changes every pixel and every chroma sample in it.
cv::Mat textured(int width, int height) {
  cv::Mat img(height, width, CV_8UC3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const bool light = (x + y) % 2 == 0;
      const bool warm = (x / 2 + y / 2) % 2 == 0;
      const std::uint8_t hi = light ? 200 : 40;
      const std::uint8_t mid = light ? 100 : 20;
      const std::uint8_t lo = light ? 66 : 13;
      img.at<cv::Vec3b>(y, x) = warm ? cv::Vec3b(lo, mid, hi) : cv::Vec3b(hi, mid, lo);
    }
  }
  return img;
}

/// Samples of `after` that differ from `before`, CV_8U 255.
cv::Mat changed_plane(const cv::Mat& before, const cv::Mat& after) {
  cv::Mat diff;
  cv::absdiff(before, after, diff);
  return diff > 0;
}

cv::Scalar stddev_of(const cv::Mat& roi) {
  cv::Scalar mean, stddev;
  cv::meanStdDev(roi, mean, stddev);
  return stddev;
}

// The mosaic drawn in YUV for clips hides as much as the one drawn in BGR: each block is as
// flat (no detail left) and of the same colour, on a box placed at odd coordinates, where
// chroma samples straddle the blocks' edges.
TEST(PixelateYuv, BlocksAreAsFlatAsInBgrAndOfTheSameColour) {
  const cv::Mat source = textured(200, 200);
  cv::Mat bgr = source.clone();
  Yuv420 yuv = to_yuv420(source);
  const std::vector<cv::Rect2d> box{cv::Rect2d(51, 47, 40, 80)};
  pixelate_boxes(bgr, box);
  pixelate_boxes(yuv, box);
  // The BGR mosaic in the form x264 is given.
  Yuv420 from_bgr = to_yuv420(bgr);
  const Yuv420 original = to_yuv420(source);
  // Grown by 10 %: x 47..94, y 39..134; blocks of 12 px.
  const cv::Rect grown(47, 39, 48, 96);
  int blocks = 0;
  for (int by = grown.y; by + 12 <= grown.br().y; by += 12) {
    for (int bx = grown.x; bx + 12 <= grown.br().x; bx += 12, ++blocks) {
      const cv::Rect block(bx, by, 12, 12);
      SCOPED_TRACE("block at " + std::to_string(bx) + "," + std::to_string(by));
      // The pattern had detail there; neither mosaic leaves more than the other.
      ASSERT_GT(stddev_of(original.y(block))[0], 30.0);
      EXPECT_LE(stddev_of(yuv.y(block))[0], stddev_of(from_bgr.y(block))[0] + 1e-9);
      EXPECT_EQ(stddev_of(yuv.y(block))[0], 0.0);
      EXPECT_NEAR(cv::mean(yuv.y(block))[0], cv::mean(from_bgr.y(block))[0], 1.0);
      const cv::Rect chroma = Yuv420::chroma_inside(block);
      for (const Yuv420* planes : {&yuv, &from_bgr}) {
        EXPECT_EQ(stddev_of(planes->u(chroma))[0], 0.0);
        EXPECT_EQ(stddev_of(planes->v(chroma))[0], 0.0);
      }
      EXPECT_NEAR(cv::mean(yuv.u(chroma))[0], cv::mean(from_bgr.u(chroma))[0], 1.0);
      EXPECT_NEAR(cv::mean(yuv.v(chroma))[0], cv::mean(from_bgr.v(chroma))[0], 1.0);
    }
  }
  EXPECT_EQ(blocks, 32);
}

// In YUV the pixels changed are exactly those hidden_pixels() names, and the chroma samples
// changed exactly those that a hidden pixel shares in: nothing of a person survives at an
// odd edge, and nothing else in the picture is touched.
TEST(PrivacyYuv, ChangesExactlyTheHiddenPixelsAndTheChromaTheyShareIn) {
  const Yuv420 before = to_yuv420(textured(320, 240));
  PrivacyPlan plan;
  plan.hide = {cv::Rect2d(11, 9, 50, 80), cv::Rect2d(200, 100, 200, 200)};
  plan.persons = {cv::Rect2d(151, 41, 20, 50)};
  plan.subject = cv::Rect2d(141, 31, 60, 80);
  for (const bool with_subject : {false, true}) {
    SCOPED_TRACE(with_subject);
    PrivacyPlan p = plan;
    if (!with_subject) p.subject = {};
    Yuv420 img = before.clone();
    apply_privacy(img, p);
    const cv::Mat hidden = hidden_pixels(img.size(), p);
    ASSERT_GT(cv::countNonZero(hidden), 5000);
    EXPECT_EQ(cv::countNonZero(changed_plane(before.y, img.y) != hidden), 0);
    const cv::Mat chroma = chroma_mask(hidden);
    EXPECT_EQ(cv::countNonZero(changed_plane(before.u, img.u) != chroma), 0);
    EXPECT_EQ(cv::countNonZero(changed_plane(before.v, img.v) != chroma), 0);
  }
}

TEST(PrivacyMaskYuv, FillsTheSamePixelsGreyAndTheirChroma) {
  const std::vector<std::vector<Point>> masks{{{11, 9}, {111, 9}, {111, 61}}, {{0, 0}, {5, 5}}};
  // privacy_mask_pixels names what the BGR fill changes.
  cv::Mat bgr = checkerboard(121, 121, 2);
  const cv::Mat bgr_before = bgr.clone();
  burn_privacy_masks(bgr, masks);
  const cv::Mat covered = privacy_mask_pixels(bgr.size(), masks);
  EXPECT_EQ(cv::countNonZero(changed(bgr_before, bgr) != covered), 0);

  const Yuv420 before = to_yuv420(textured(121, 121));
  Yuv420 img = before.clone();
  const MaskCover cover = mask_cover(img.size(), masks);
  EXPECT_EQ(cv::countNonZero(cover.luma != covered), 0);
  burn_privacy_masks(img, cover);
  const cv::Scalar grey = yuv_of(kPrivacyMaskColour);
  const cv::Mat chroma = chroma_mask(covered);
  EXPECT_EQ(cv::countNonZero(changed_plane(before.y, img.y) != covered), 0);
  EXPECT_EQ(cv::countNonZero(changed_plane(before.u, img.u) != chroma), 0);
  EXPECT_EQ(cv::countNonZero(changed_plane(before.v, img.v) != chroma), 0);
  EXPECT_EQ(img.y.at<std::uint8_t>(15, 100), static_cast<int>(std::lround(grey[0])));
  EXPECT_EQ(img.u.at<std::uint8_t>(7, 50), static_cast<int>(std::lround(grey[1])));
  // Seen in BGR, the mask is the same grey as the BGR fill.
  const cv::Mat seen = to_bgr(img);
  const cv::Vec3b inside = seen.at<cv::Vec3b>(15, 100);
  for (int c = 0; c < 3; ++c) EXPECT_NEAR(inside[c], kPrivacyMaskColour[c], 2.0);
  // No masks, nothing to fill.
  Yuv420 untouched = before.clone();
  const MaskCover none = mask_cover(untouched.size(), {});
  EXPECT_FALSE(none.any);
  burn_privacy_masks(untouched, none);
  EXPECT_EQ(cv::norm(untouched.y, before.y, cv::NORM_INF), 0);
}

TEST(Annotation, DrawsZoneRegionAndText) {
  cv::Mat img(240, 320, CV_8UC3, cv::Scalar(0, 0, 0));
  Alert alert;
  alert.id = "cam1-intrusion-1";
  alert.camera = "cam1";
  alert.region = cv::Rect2d(100, 100, 50, 60);
  draw_alert_annotation(img, alert, {{20, 200}, {300, 200}, {300, 230}, {20, 230}});
  EXPECT_EQ(img.at<cv::Vec3b>(200, 150), cv::Vec3b(0, 255, 255));
  EXPECT_EQ(img.at<cv::Vec3b>(100, 120), cv::Vec3b(0, 0, 255));
  EXPECT_GT(cv::countNonZero(img(cv::Rect(0, 0, 320, 12)).reshape(1)), 50);  // the text line
}

TEST(EvidenceDir, RefusesNamesThatCouldEscapeTheRoot) {
  EXPECT_TRUE(evidence_dir("/r", "cam-1", "cam-1-intrusion-3").is_ok());
  EXPECT_EQ(evidence_dir("/r", "cam-1", "cam-1-intrusion-3").value(),
            std::filesystem::path("/r/cam-1/cam-1-intrusion-3"));
  for (const char* bad : {"", ".", "..", "../x", "a/b", ".hidden", "a b"}) {
    EXPECT_EQ(evidence_dir("/r", bad, "id").status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(evidence_dir("/r", "cam", bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(EvidenceOptions, DefaultWindowIsFiveSecondsBeforeAndTenAfter) {
  const EvidenceOptions o;
  EXPECT_DOUBLE_EQ(o.clip_before_s, 5.0);
  EXPECT_DOUBLE_EQ(o.clip_after_s, 10.0);
  EXPECT_EQ(to_string(EvidenceKind::kSnapshot), "snapshot");
  EXPECT_EQ(to_string(EvidenceKind::kClip), "clip");
  EXPECT_EQ(to_string(EvidenceKind::kRaw), "raw");
}

}  // namespace
}  // namespace vigie::evidence
