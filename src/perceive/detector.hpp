#pragma once
// The optional object detector: a small neural network run through OpenCV's dnn module on
// the CPU. Classical vision proposes candidates; the detector confirms them and is the only
// way to see weapons. Three output formats are decoded: YOLOX (grid-decoded, strides 8, 16
// and 32), FastestDet (one 85-channel map) and Darknet YOLO layers (Yolo-Fastest).

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "config/config.hpp"
#include "core/status.hpp"

namespace vigie::perceive {

/// What a model class means to vigie (config `detector.classes`).
enum class DetectionRole { kOther, kPerson, kBag, kWeapon, kVehicle };

/// "person", "bag", "weapon", "vehicle" or "other".
const char* to_string(DetectionRole role);

struct Detection {
  cv::Rect2d box;  ///< pixels of the image given to detect() (callers convert to source pixels)
  int class_id = 0;
  DetectionRole role = DetectionRole::kOther;
  float score = 0;
};

/// The output decoding of a model.
enum class DetectorKind { kYolox, kFastestDet, kDarknet, kPose };

/// Thread: one caller at a time per instance (an OpenCV network is not re-entrant).
class Detector {
 public:
  virtual ~Detector() = default;
  /// Detections in `bgr` (or in its `roi`, boxes still in `bgr`'s pixels), after class-aware
  /// non-maximum suppression, with roles from the class map.
  virtual std::vector<Detection> detect(const cv::Mat& bgr, std::optional<cv::Rect> roi = {}) = 0;
  /// SHA-256 (hex) of the model file(s), computed at load; recorded in alerts.
  [[nodiscard]] virtual const std::string& model_hash() const = 0;
  [[nodiscard]] virtual DetectorKind kind() const = 0;
  /// Square network input side, in pixels.
  [[nodiscard]] virtual int input_size() const = 0;
  /// What to show around a candidate, in shares of its box's larger side on each side: an
  /// object detector judges a bag by whose feet or hand are near; a pose model reads the one
  /// body that fills its crop.
  [[nodiscard]] virtual double context_share() const { return 0.5; }
};

/// The one factory: loads the model named by `config` (format from `kind`, or from the
/// file: .weights is Darknet, .pb a pose model (perceive/pose.hpp), .onnx YOLOX or
/// FastestDet by its output shape). InvalidArgument
/// naming the file when it is missing or does not load.
Result<std::unique_ptr<Detector>> make_detector(const config::DetectorConfig& config);

// ---- the pieces, exposed for tests ----

/// Where a source image lies inside the network input after letterboxing: scaled by
/// `scale` and placed at the top-left corner, the rest padded.
struct Letterbox {
  double scale = 1;
  cv::Size input;
  /// Network-input pixels -> source pixels.
  [[nodiscard]] cv::Rect2d to_source(const cv::Rect2d& box) const {
    return {box.x / scale, box.y / scale, box.width / scale, box.height / scale};
  }
};

/// Scales `src` to fit `input` keeping its aspect ratio, pads with `pad` (bottom and right).
Letterbox letterbox(const cv::Mat& src, cv::Size input, const cv::Scalar& pad, cv::Mat& out);

/// A detection before suppression, in network-input pixels.
struct RawDetection {
  cv::Rect2d box;
  int class_id = 0;
  float score = 0;
};

/// YOLOX output [1, N, 5 + C] (cx, cy, w, h as grid offsets and log sizes, objectness,
/// class scores) for a square input of side `input`; score = objectness × class score.
std::vector<RawDetection> decode_yolox(const cv::Mat& output, int input, float threshold);
/// FastestDet output [1, 5 + C, H, W] (objectness, tanh offsets, sigmoid sizes, class
/// scores); score = objectness^0.6 × class^0.4.
std::vector<RawDetection> decode_fastestdet(const cv::Mat& output, int input, float threshold);
/// OpenCV's Darknet YOLO layer outputs, each [N, 5 + C] (cx, cy, w, h relative to the input,
/// objectness, class confidences).
std::vector<RawDetection> decode_darknet(const std::vector<cv::Mat>& outputs, int input,
                                         float threshold);

/// Class-aware non-maximum suppression: boxes of different classes never suppress each
/// other. Highest score first.
std::vector<RawDetection> nms_per_class(const std::vector<RawDetection>& in, float score_threshold,
                                        float iou_threshold);

/// The role of `class_id` under the class map.
DetectionRole role_of(const config::DetectorClasses& classes, int class_id);

}  // namespace vigie::perceive
