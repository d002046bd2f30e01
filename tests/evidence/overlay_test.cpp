#include "evidence/overlay.hpp"

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
