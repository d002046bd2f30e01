// The pose model's keypoint reading on synthetic heat maps (always run), and the shared pose
// model on real frames (skipped without ../shared/models and ../shared/data): what
// person_on_ground relies on, a body lying seen only turned a quarter, an object never.

#include <cstdio>
#include <filesystem>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>
#include <opencv2/videoio.hpp>

#include "perceive/pose.hpp"

namespace vigie::perceive {
namespace {

namespace fs = std::filesystem;

const fs::path kShared = VIGIE_SHARED_DIR;
const fs::path kPose = kShared / "models" / "pose-mobilenet-v2-small";

/// Heat maps [1, 57, 28, 28] for a 224-pixel input, all cold.
cv::Mat cold_maps() {
  const int shape[] = {1, 57, 28, 28};
  return cv::Mat(4, shape, CV_32F, cv::Scalar(0));
}

void heat(cv::Mat& maps, int part, int row, int col, float value) {
  maps.ptr<float>(0, part)[row * 28 + col] = value;
}

TEST(PoseKeypoints, ReadsEachBodyPartsStrongestCellAboveTheThreshold) {
  cv::Mat maps = cold_maps();
  heat(maps, 1, 4, 10, 0.8f);    // neck
  heat(maps, 11, 20, 6, 0.3f);   // left hip
  heat(maps, 11, 21, 6, 0.5f);   // ... its strongest cell
  heat(maps, 13, 27, 0, 0.05f);  // left ankle, too faint
  const auto found = body_keypoints(maps, {224, 224}, 0.1f);
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].part, 1);
  EXPECT_DOUBLE_EQ(found[0].at.x, 10.5 * 8);
  EXPECT_DOUBLE_EQ(found[0].at.y, 4.5 * 8);
  EXPECT_EQ(found[1].part, 11);
  EXPECT_DOUBLE_EQ(found[1].at.y, 21.5 * 8);
  EXPECT_FLOAT_EQ(found[1].score, 0.5f);
}

TEST(PoseKeypoints, TheFaceIsNeverRead) {
  cv::Mat maps = cold_maps();
  for (int part : {0, 14, 15, 16, 17}) heat(maps, part, 5, 5, 0.9f);  // nose, eyes, ears
  EXPECT_TRUE(body_keypoints(maps, {224, 224}, 0.1f).empty());
}

TEST(PoseKeypoints, MapsOfAnotherShapeGiveNothing) {
  const int shape[] = {1, 8, 28, 28};
  EXPECT_TRUE(body_keypoints(cv::Mat(4, shape, CV_32F, cv::Scalar(1)), {224, 224}, 0.1f).empty());
}

config::DetectorConfig pose_config() {
  config::DetectorConfig c;
  c.model = (kPose / "graph_opt.pb").string();
  c.config_file = (kPose / "graph_fixed_224x224.pbtxt").string();
  return c;
}

TEST(PoseModel, RefusesAGraphWithoutItsTextGraph) {
  if (!fs::exists(kPose)) GTEST_SKIP() << kPose << " absent (models are read from ../shared)";
  config::DetectorConfig c = pose_config();
  c.config_file.clear();
  const auto loaded = make_detector(c);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.status().message().find("text graph"), std::string::npos)
      << loaded.status().message();
  c.config_file = (kPose / "missing.pbtxt").string();
  const auto missing = make_detector(c);
  ASSERT_FALSE(missing.is_ok());
  EXPECT_NE(missing.status().message().find("missing.pbtxt"), std::string::npos);
}

TEST(PoseModel, RefusesAnInputSizeTheTextGraphIsNotFixedAt) {
  if (!fs::exists(kPose)) GTEST_SKIP() << kPose << " absent (models are read from ../shared)";
  config::DetectorConfig c = pose_config();
  c.input_size = 192;
  const auto loaded = make_detector(c);
  ASSERT_FALSE(loaded.is_ok());
  EXPECT_NE(loaded.status().message().find("input_size"), std::string::npos)
      << loaded.status().message();
}

/// The frame at `t_s` of a shared clip, or empty.
cv::Mat frame_of(const std::string& clip, double t_s) {
  cv::VideoCapture video;
  for (const char* name : {"video.mp4", "video.avi"}) {
    const fs::path file = kShared / "data" / clip / name;
    if (fs::exists(file)) video.open(file.string(), cv::CAP_FFMPEG);
  }
  if (!video.isOpened()) return {};
  // Read up to the frame rather than seek: seeking lands on keyframes, differently by build.
  const double fps = video.get(cv::CAP_PROP_FPS) > 0 ? video.get(cv::CAP_PROP_FPS) : 25.0;
  cv::Mat frame;
  for (int i = 0; i <= static_cast<int>(t_s * fps); ++i) {
    if (!video.read(frame)) return {};
  }
  return frame;
}

/// What a pose model is shown of a candidate: the box and a tenth of its larger side around
/// it (as DetectorLink asks with a pose model), turned by `rotation` (-1: not turned).
cv::Mat look(const cv::Mat& frame, cv::Rect box, int rotation) {
  const int m = std::max(box.width, box.height) / 10;
  const cv::Rect area =
      cv::Rect(box.x - m, box.y - m, box.width + 2 * m, box.height + 2 * m) &
      cv::Rect(0, 0, frame.cols, frame.rows);
  cv::Mat crop = frame(area).clone();
  if (rotation >= 0) cv::rotate(crop, crop, rotation);
  return crop;
}

class PoseOnRealFrames : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kPose)) GTEST_SKIP() << kPose << " absent (models are read from ../shared)";
    if (!fs::exists(kShared / "data")) GTEST_SKIP() << "../shared/data absent";
    auto loaded = make_detector(pose_config());
    ASSERT_TRUE(loaded.is_ok()) << loaded.status().message();
    pose_ = std::move(*loaded);
  }
  bool sees_person(const cv::Mat& image) {
    const auto found = pose_->detect(image);
    return !found.empty() && found.front().role == DetectionRole::kPerson;
  }
  std::unique_ptr<Detector> pose_;
};

TEST_F(PoseOnRealFrames, ABodyLyingIsSeenOnSomeTurnedCrops) {
  // UP-Fall, side view: the subject lies on the mattress from about 1.5 s (truth boxes).
  // Sampled every half second on the ground, the turned crops find him on a few frames only,
  // and the crop as it is now and then too: which is why person_on_ground takes neither a
  // look that misses him nor one that sees him as proof either way. A pre-processing that
  // broke the model (scale, padding, channel order) would find him on none.
  EXPECT_EQ(pose_->kind(), DetectorKind::kPose);
  int upright = 0, turned = 0, looked = 0;
  for (const auto& [clip, body] : {std::pair{"upfall-s1t3-a01-cam1", cv::Rect(50, 395, 390, 85)},
                                   std::pair{"upfall-s1t3-a02-cam1", cv::Rect(35, 405, 385, 75)}}) {
    const cv::Rect box = body;
    for (double t = 4.0; t <= 7.5; t += 0.5) {
      const cv::Mat frame = frame_of(clip, t);
      ASSERT_FALSE(frame.empty()) << clip << " at " << t << " s";
      ++looked;
      upright += sees_person(look(frame, box, -1)) ? 1 : 0;
      turned += (sees_person(look(frame, box, cv::ROTATE_90_CLOCKWISE)) ||
                 sees_person(look(frame, box, cv::ROTATE_90_COUNTERCLOCKWISE)))
                    ? 1
                    : 0;
    }
  }
  EXPECT_GE(turned, 1) << "of " << looked << " frames (as it is: " << upright << ")";
  std::printf("lying body seen on %d of %d frames turned, %d as it is\n", turned, looked, upright);
}

TEST_F(PoseOnRealFrames, ABagIsNoPersonInAnyOrientation) {
  // ABODA video 4: the bag left on the pavement (truth box), alone from about 20 s.
  const cv::Mat frame = frame_of("aboda-video4", 30.0);
  ASSERT_FALSE(frame.empty());
  const cv::Rect bag(448, 362, 56, 56);
  EXPECT_FALSE(sees_person(look(frame, bag, -1)));
  EXPECT_FALSE(sees_person(look(frame, bag, cv::ROTATE_90_CLOCKWISE)));
  EXPECT_FALSE(sees_person(look(frame, bag, cv::ROTATE_90_COUNTERCLOCKWISE)));
}

}  // namespace
}  // namespace vigie::perceive
