#pragma once
// A pose model as a detector of persons: an OpenPose-style network (18 keypoint heat maps
// and part-affinity fields, e.g. tf-pose-estimation's mobilenet_v2_small) run through
// OpenCV's dnn module on one candidate's crop. It reports a person where it finds enough of
// a body's keypoints, which is what lets person_on_ground tell a body lying from a seated
// or standing person and from a bag: such a model, trained on upright people, finds the
// keypoints of someone lying only on the crop turned a quarter, those of someone upright
// only on the crop as it is, and none on an object in any orientation.
//
// Only the body's keypoints are read (neck, shoulders, elbows, wrists, hips, knees,
// ankles): the nose, eyes and ears the network also marks are never looked at, and no
// keypoint leaves this class.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>
#include <opencv2/dnn.hpp>

#include "perceive/detector.hpp"

namespace vigie::perceive {

/// The body keypoints found in a set of heat maps [1, C >= 14, H, W] for an input of
/// `input` pixels: each body channel's strongest cell at least `threshold`, in network-input
/// pixels (cell centre). Exposed for tests.
struct Keypoint {
  int part = 0;  ///< COCO order: 1 neck, 2-4 right arm, 5-7 left arm, 8-10 right leg, 11-13 left leg
  cv::Point2d at;
  float score = 0;
};
std::vector<Keypoint> body_keypoints(const cv::Mat& heat_maps, cv::Size input, float threshold);

class PoseDetector final : public Detector {
 public:
  /// `graph`: the frozen TensorFlow graph (.pb); `text_graph`: its text description at a
  /// fixed input size (.pbtxt: OpenCV 4.6 cannot size the graph's resize at run time).
  /// InvalidArgument naming the file when either is missing or does not load, or when the
  /// network's output is not keypoint heat maps.
  static Result<std::unique_ptr<Detector>> load(const config::DetectorConfig& config);

  /// One detection of role person around the keypoints found in `bgr` (or its `roi`) when
  /// at least min_keypoints of the 13 body keypoints are there; none otherwise.
  std::vector<Detection> detect(const cv::Mat& bgr, std::optional<cv::Rect> roi = {}) override;
  [[nodiscard]] const std::string& model_hash() const override { return hash_; }
  [[nodiscard]] DetectorKind kind() const override { return DetectorKind::kPose; }
  [[nodiscard]] int input_size() const override { return input_; }
  [[nodiscard]] double context_share() const override { return 0.1; }

  /// A person is this many of the 13 body keypoints: a third of a body (an upright person
  /// shows 12 or 13, an object none).
  static constexpr int kMinKeypoints = 5;
  /// A keypoint's heat at least this (an object's strongest is about 0.01).
  static constexpr float kDefaultThreshold = 0.1f;

 private:
  PoseDetector(cv::dnn::Net net, int input, float threshold, std::string hash)
      : net_(std::move(net)), input_(input), threshold_(threshold), hash_(std::move(hash)) {}

  cv::dnn::Net net_;
  int input_;
  float threshold_;
  std::string hash_;
};

}  // namespace vigie::perceive
