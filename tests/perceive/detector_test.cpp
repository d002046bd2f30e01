// The detector's pieces on synthetic tensors (always run), and each shared model loading and
// finding persons in rendered synthetic frames (skipped without ../shared/models).

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "perceive/detector.hpp"
#include "synth/scene.hpp"

namespace vigie::perceive {
namespace {

namespace fs = std::filesystem;

TEST(LetterboxTest, KeepsAspectPadsBottomRightAndMapsBack) {
  cv::Mat src(180, 320, CV_8UC3, cv::Scalar(10, 20, 30));
  cv::Mat out;
  const Letterbox lb = letterbox(src, {416, 416}, cv::Scalar(114, 114, 114), out);
  EXPECT_EQ(out.size(), cv::Size(416, 416));
  EXPECT_DOUBLE_EQ(lb.scale, 1.3);
  EXPECT_EQ(out.at<cv::Vec3b>(0, 0), cv::Vec3b(10, 20, 30));
  EXPECT_EQ(out.at<cv::Vec3b>(233, 415), cv::Vec3b(10, 20, 30));  // last image row: 180 × 1.3 = 234
  EXPECT_EQ(out.at<cv::Vec3b>(240, 10), cv::Vec3b(114, 114, 114));
  const cv::Rect2d back = lb.to_source({130, 26, 13, 39});
  EXPECT_NEAR(back.x, 100, 1e-9);
  EXPECT_NEAR(back.y, 20, 1e-9);
  EXPECT_NEAR(back.width, 10, 1e-9);
  EXPECT_NEAR(back.height, 30, 1e-9);
}

TEST(DecodeTest, YoloxGridDecodingOverThreeStrides) {
  const int input = 416, classes = 80;
  const int rows = 52 * 52 + 26 * 26 + 13 * 13;
  const int shape[] = {1, rows, 5 + classes};
  cv::Mat out(3, shape, CV_32F, cv::Scalar(0));
  // Stride 16 (second block), cell gx = 3, gy = 5.
  const int row = 52 * 52 + 5 * 26 + 3;
  float* p = out.ptr<float>(0) + static_cast<std::ptrdiff_t>(row) * (5 + classes);
  p[0] = 0.5f;
  p[1] = 0.5f;
  p[2] = std::log(4.0f);
  p[3] = std::log(8.0f);
  p[4] = 0.9f;
  p[5 + 43] = 0.8f;
  const auto found = decode_yolox(out, input, 0.3f);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].class_id, 43);
  EXPECT_NEAR(found[0].score, 0.72, 1e-5);
  EXPECT_NEAR(found[0].box.x + found[0].box.width / 2, 3.5 * 16, 1e-4);
  EXPECT_NEAR(found[0].box.y + found[0].box.height / 2, 5.5 * 16, 1e-4);
  EXPECT_NEAR(found[0].box.width, 64, 1e-3);
  EXPECT_NEAR(found[0].box.height, 128, 1e-3);
  // Below the threshold: nothing.
  EXPECT_TRUE(decode_yolox(out, input, 0.8f).empty());
}

TEST(DecodeTest, FastestDetCellDecoding) {
  const int input = 352, grid = 22;
  const int shape[] = {1, 85, grid, grid};
  cv::Mat out(4, shape, CV_32F, cv::Scalar(0));
  auto at = [&](int c, int y, int x) -> float& {
    return out.ptr<float>(0)[(c * grid + y) * grid + x];
  };
  at(0, 4, 7) = 0.9f;   // objectness
  at(1, 4, 7) = 0.0f;   // tanh(0) = 0: the cell's corner
  at(2, 4, 7) = 0.0f;
  at(3, 4, 7) = 0.0f;   // sigmoid(0) = 0.5 of the input
  at(4, 4, 7) = 0.0f;
  at(5 + 0, 4, 7) = 0.9f;
  const auto found = decode_fastestdet(out, input, 0.5f);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].class_id, 0);
  EXPECT_NEAR(found[0].score, 0.9, 1e-5);
  EXPECT_NEAR(found[0].box.x + found[0].box.width / 2, 7.0 / grid * input, 1e-3);
  EXPECT_NEAR(found[0].box.y + found[0].box.height / 2, 4.0 / grid * input, 1e-3);
  EXPECT_NEAR(found[0].box.width, 176, 1e-3);
}

TEST(DecodeTest, DarknetRowsRelativeToTheInput) {
  cv::Mat layer(2, 85, CV_32F, cv::Scalar(0));
  float* r = layer.ptr<float>(0);
  r[0] = 0.5f, r[1] = 0.25f, r[2] = 0.1f, r[3] = 0.3f, r[4] = 0.8f, r[5 + 0] = 0.7f;
  float* weak = layer.ptr<float>(1);
  weak[4] = 0.1f, weak[5 + 2] = 0.1f;
  const auto found = decode_darknet({layer}, 320, 0.25f);
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].class_id, 0);
  EXPECT_NEAR(found[0].score, 0.7, 1e-6);
  EXPECT_NEAR(found[0].box.x, 160 - 16, 1e-3);
  EXPECT_NEAR(found[0].box.y, 80 - 48, 1e-3);
  EXPECT_NEAR(found[0].box.height, 96, 1e-3);
}

TEST(NmsTest, SuppressesWithinAClassOnly) {
  const std::vector<RawDetection> in = {
      {{10, 10, 50, 100}, 0, 0.9f},  // person
      {{12, 12, 50, 100}, 0, 0.6f},  // the same person again
      {{12, 12, 50, 100}, 24, 0.5f},  // a backpack at the same place: another class
      {{200, 10, 50, 100}, 0, 0.4f},  // another person
  };
  const auto out = nms_per_class(in, 0.3f, 0.45f);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_FLOAT_EQ(out[0].score, 0.9f);
  EXPECT_EQ(out[1].class_id, 24);
  EXPECT_FLOAT_EQ(out[2].score, 0.4f);
}

TEST(ClassMapTest, CocoDefaults) {
  const config::DetectorClasses coco;
  EXPECT_EQ(role_of(coco, 0), DetectionRole::kPerson);
  EXPECT_EQ(role_of(coco, 26), DetectionRole::kBag);
  EXPECT_EQ(role_of(coco, 43), DetectionRole::kWeapon);
  EXPECT_EQ(role_of(coco, 34), DetectionRole::kWeapon);
  EXPECT_EQ(role_of(coco, 7), DetectionRole::kVehicle);
  EXPECT_EQ(role_of(coco, 13), DetectionRole::kOther);  // bench
}

TEST(DetectorFactoryTest, MissingOrUnreadableModelNamesTheFile) {
  config::DetectorConfig c;
  c.model = "/nonexistent/model.onnx";
  auto d = make_detector(c);
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find("/nonexistent/model.onnx"), std::string::npos);

  const fs::path garbage = fs::temp_directory_path() / "vigie-not-a-model.onnx";
  std::ofstream(garbage) << "not a network";
  c.model = garbage.string();
  d = make_detector(c);
  ASSERT_FALSE(d.is_ok());
  EXPECT_NE(d.status().message().find(garbage.string()), std::string::npos);
  fs::remove(garbage);
}

// ---- with the shared models ----

const fs::path kModels = fs::path(VIGIE_SHARED_DIR) / "models";

/// Loads the shared model named by the parameter, or skips without it.
class SharedModelTest : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    const fs::path model = kModels / GetParam();
    if (!fs::exists(model)) GTEST_SKIP() << model << " absent (models are read from ../shared)";
    config::DetectorConfig c;
    c.model = model.string();
    auto d = make_detector(c);
    ASSERT_TRUE(d.is_ok()) << d.status().to_string();
    detector_ = std::move(d.value());
  }
  std::unique_ptr<Detector> detector_;
};

/// Persons of a rendered synthetic frame, at the source size (640 × 360), that are at least
/// 40 px tall: what a small detector can be expected to find.
struct Rendered {
  cv::Mat bgr;
  std::vector<cv::Rect2d> persons;
};

Rendered render(const char* scenario, std::uint64_t seed, int frame) {
  Rendered r;
  auto scene = synth::Scene::create(scenario, seed);
  if (!scene.is_ok()) return r;
  const synth::FrameTruth truth = (*scene)->render(frame, r.bgr);
  for (const auto& p : truth.persons) {
    if (p.box.height >= 40) r.persons.push_back(p.box);
  }
  return r;
}

/// Whether `detections` hold a person covering at least half of `box` (or the reverse).
bool sees_person(const std::vector<Detection>& detections, const cv::Rect2d& box) {
  return std::any_of(detections.begin(), detections.end(), [&](const Detection& d) {
    const double inter = (d.box & box).area();
    return d.role == DetectionRole::kPerson && inter / std::min(d.box.area(), box.area()) >= 0.5;
  });
}

TEST_P(SharedModelTest, LoadsAndFindsPersonsInRenderedFrames) {
  Detector* d = detector_.get();
  EXPECT_EQ(d->model_hash().size(), 64u);
  // Several scenes, seeds and moments: a model is expected to find most sizeable persons,
  // not every one in one tuned picture.
  int persons = 0, found = 0;
  for (const char* scenario : {"intrusion", "wrong_way", "abandoned_bag"}) {
    for (std::uint64_t seed : {1u, 2u, 3u}) {
      for (int frame : {150, 300}) {
        const Rendered r = render(scenario, seed, frame);
        if (r.bgr.empty()) continue;
        const auto detections = d->detect(r.bgr);
        for (const auto& p : r.persons) {
          ++persons;
          found += sees_person(detections, p);
        }
      }
    }
  }
  ASSERT_GT(persons, 5) << "the scenes should show persons";
  std::printf("%s: found %d of %d persons at least 40 px tall (default threshold)\n", GetParam(),
              found, persons);
  // A floor, not a benchmark: the model loads, decodes and finds persons where they are.
  // FastestDet at its own threshold (0.65) finds about a third of them on these scenes.
  EXPECT_GE(found * 4, persons) << GetParam() << ": found " << found << " of " << persons;
}

TEST_P(SharedModelTest, SeesSomeoneLyingDownBetterTurnedAQuarter) {
  Detector* d = detector_.get();
  // Falls of several seeds, a few seconds after: the region around each person lying, at
  // least half the network input wide, about as the detection service crops it, shown as it is
  // and turned a quarter each way.
  int lying = 0, upright = 0, turned = 0;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    auto scene = synth::Scene::create("person_fall", seed);
    ASSERT_TRUE(scene.is_ok());
    for (int frame : {350, 500}) {
      cv::Mat bgr;
      const synth::FrameTruth truth = (*scene)->render(frame, bgr);
      for (const auto& p : truth.persons) {
        if (p.pose != synth::Pose::kLie) continue;
        ++lying;
        const int side = std::max({d->input_size() / 2, static_cast<int>(2 * p.box.width)});
        const cv::Point centre(static_cast<int>(p.box.x + p.box.width / 2),
                               static_cast<int>(p.box.y + p.box.height / 2));
        const cv::Rect area = cv::Rect(centre.x - side / 2, centre.y - side / 2, side, side) &
                              cv::Rect({}, bgr.size());
        const cv::Mat crop = bgr(area);
        const cv::Rect2d body(p.box.x - area.x, p.box.y - area.y, p.box.width, p.box.height);
        // The body as it appears in the crop turned clockwise, and counter-clockwise.
        const cv::Rect2d cw(crop.rows - body.y - body.height, body.x, body.height, body.width);
        const cv::Rect2d ccw(body.y, crop.cols - body.x - body.width, body.height, body.width);
        cv::Mat left, right;
        cv::rotate(crop, right, cv::ROTATE_90_CLOCKWISE);
        cv::rotate(crop, left, cv::ROTATE_90_COUNTERCLOCKWISE);
        upright += sees_person(d->detect(crop), body);
        turned += sees_person(d->detect(right), cw) || sees_person(d->detect(left), ccw);
      }
    }
  }
  ASSERT_GT(lying, 10) << "the falls should show people lying";
  std::printf("%s: of %d people lying, %d seen as they lie, %d turned a quarter\n", GetParam(),
              lying, upright, turned);
  EXPECT_GT(turned, upright) << GetParam();
  EXPECT_GT(turned, 0) << GetParam();
}

INSTANTIATE_TEST_SUITE_P(Models, SharedModelTest,
                         ::testing::Values("yolox_nano.onnx", "FastestDet.onnx",
                                           "yolo-fastest-1.1.weights",
                                           "yolo-fastest-1.1_body.weights"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           std::string name = p.param;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

}  // namespace
}  // namespace vigie::perceive
