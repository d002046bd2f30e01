#include "perceive/pose.hpp"

#include <algorithm>
#include <filesystem>

#include <opencv2/imgproc.hpp>

#include "core/digest.hpp"

namespace vigie::perceive {
namespace {

namespace fs = std::filesystem;

/// Heat-map channels of the body: 1 neck to 13 left ankle (0 is the nose, 14-17 eyes and
/// ears, never read).
constexpr int kFirstBodyPart = 1;
constexpr int kLastBodyPart = 13;
/// The network's output is an eighth of its input on each side.
constexpr int kStride = 8;

Status load_error(const std::string& file, const std::string& why) {
  return invalid_argument("detector: " + file + ": " + why);
}

}  // namespace

std::vector<Keypoint> body_keypoints(const cv::Mat& heat_maps, cv::Size input, float threshold) {
  std::vector<Keypoint> out;
  if (heat_maps.dims != 4 || heat_maps.size[1] <= kLastBodyPart) return out;
  const int rows = heat_maps.size[2];
  const int cols = heat_maps.size[3];
  const double sx = static_cast<double>(input.width) / cols;
  const double sy = static_cast<double>(input.height) / rows;
  for (int part = kFirstBodyPart; part <= kLastBodyPart; ++part) {
    const cv::Mat map(rows, cols, CV_32F,
                      const_cast<float*>(heat_maps.ptr<float>(0, part)));  // a view, not written
    double best = 0;
    cv::Point where;
    cv::minMaxLoc(map, nullptr, &best, nullptr, &where);
    if (best < threshold) continue;
    out.push_back({part, {(where.x + 0.5) * sx, (where.y + 0.5) * sy}, static_cast<float>(best)});
  }
  return out;
}

Result<std::unique_ptr<Detector>> PoseDetector::load(const config::DetectorConfig& config) {
  const std::string& graph = config.model;
  if (!fs::is_regular_file(graph)) return load_error(graph, "no such file");
  const std::string& text = config.config_file;
  if (text.empty()) {
    return load_error(graph, "a pose model needs its text graph at a fixed size: set "
                             "detector.config_file (e.g. graph_fixed_224x224.pbtxt)");
  }
  if (!fs::is_regular_file(text)) return load_error(text, "no such file (the text graph)");
  const int input = config.input_size > 0 ? config.input_size : 224;
  cv::dnn::Net net;
  try {
    net = cv::dnn::readNetFromTensorflow(graph, text);
  } catch (const cv::Exception& e) {
    return load_error(graph, std::string("does not load: ") + e.what());
  }
  if (net.empty()) return load_error(graph, "does not load (empty network)");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
  // One probe: the text graph fixes the input size, and the output must be keypoint maps.
  try {
    const int shape[] = {1, 3, input, input};
    net.setInput(cv::Mat(4, shape, CV_32F, cv::Scalar(0)));
    const cv::Mat out = net.forward();
    if (out.dims != 4 || out.size[1] <= kLastBodyPart || out.size[2] * kStride != input) {
      return load_error(graph, "its output is not keypoint heat maps an eighth of the input (" +
                                   std::to_string(input) + " px): check detector.input_size "
                                   "against the text graph's size");
    }
  } catch (const cv::Exception& e) {
    return load_error(text, "does not run at " + std::to_string(input) + " px (set "
                            "detector.input_size to the text graph's size): " + e.what());
  }
  cv::setNumThreads(config.threads);
  auto fingerprint = sha256_file(graph);
  const float threshold =
      config.score_threshold > 0 ? static_cast<float>(config.score_threshold) : kDefaultThreshold;
  return std::unique_ptr<Detector>(new PoseDetector(
      std::move(net), input, threshold, fingerprint.is_ok() ? *fingerprint : std::string()));
}

std::vector<Detection> PoseDetector::detect(const cv::Mat& bgr, std::optional<cv::Rect> roi) {
  cv::Rect area(0, 0, bgr.cols, bgr.rows);
  if (roi) area &= *roi;
  if (area.area() <= 0) return {};
  // Mid-grey padding is zero after the network's scaling: it shows nothing.
  cv::Mat padded;
  const Letterbox lb = letterbox(bgr(area), {input_, input_}, {127.5, 127.5, 127.5}, padded);
  net_.setInput(cv::dnn::blobFromImage(padded, 1.0 / 127.5, {}, {127.5, 127.5, 127.5}, false,
                                       false));
  const cv::Mat maps = net_.forward();
  const std::vector<Keypoint> found = body_keypoints(maps, {input_, input_}, threshold_);
  if (static_cast<int>(found.size()) < kMinKeypoints) return {};
  // The body is the keypoints' box, grown by a quarter of its longer side each way: the
  // keypoints are joints, the head and the extremities lie beyond them.
  double x0 = input_, y0 = input_, x1 = 0, y1 = 0, score = 0;
  for (const Keypoint& k : found) {
    x0 = std::min(x0, k.at.x);
    y0 = std::min(y0, k.at.y);
    x1 = std::max(x1, k.at.x);
    y1 = std::max(y1, k.at.y);
    score += k.score;
  }
  const double grow = 0.25 * std::max(x1 - x0, y1 - y0) + kStride;
  cv::Rect2d box = lb.to_source({x0 - grow, y0 - grow, x1 - x0 + 2 * grow, y1 - y0 + 2 * grow});
  box.x += area.x;
  box.y += area.y;
  box &= cv::Rect2d(0, 0, bgr.cols, bgr.rows);
  if (box.area() <= 0) return {};
  return {{box, 0, DetectionRole::kPerson, static_cast<float>(score / static_cast<double>(found.size()))}};
}

}  // namespace vigie::perceive
