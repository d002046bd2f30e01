#include "perceive/detector.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>

#include <fmt/format.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "core/digest.hpp"
#include "perceive/pose.hpp"

namespace vigie::perceive {
namespace {

namespace fs = std::filesystem;

float sigmoid(float x) {
  return 1.0f / (1.0f + std::exp(-x));
}

/// How a kind prepares its input: YOLOX takes raw 0..255 BGR padded with 114 (its training
/// pre-processing); the others take 0..1, Darknet in RGB order.
struct Preprocess {
  double scale = 1.0;
  bool swap_rb = false;
  cv::Scalar pad{114, 114, 114};
};

Preprocess preprocess_of(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::kYolox: return {1.0, false, {114, 114, 114}};
    case DetectorKind::kFastestDet: return {1.0 / 255, false, {0, 0, 0}};
    case DetectorKind::kDarknet: return {1.0 / 255, true, {127, 127, 127}};
    case DetectorKind::kPose: break;  // perceive/pose.cpp
  }
  return {};
}

/// The score threshold of each model family's own demo code: YOLOX 0.3, FastestDet 0.65
/// (its class scores are a softmax over 80 classes, so scores run high), Darknet 0.25.
float default_threshold(DetectorKind kind) {
  switch (kind) {
    case DetectorKind::kYolox: return 0.3f;
    case DetectorKind::kFastestDet: return 0.65f;
    case DetectorKind::kDarknet: return 0.25f;
    case DetectorKind::kPose: break;  // perceive/pose.cpp
  }
  return 0.3f;
}

class DnnDetector final : public Detector {
 public:
  DnnDetector(cv::dnn::Net net, DetectorKind kind, int input, const config::DetectorConfig& config,
              std::string hash)
      : net_(std::move(net)),
        kind_(kind),
        input_(input),
        config_(config),
        threshold_(config.score_threshold > 0 ? static_cast<float>(config.score_threshold)
                                              : default_threshold(kind)),
        hash_(std::move(hash)),
        pre_(preprocess_of(kind)) {
    out_names_ = net_.getUnconnectedOutLayersNames();
  }

  std::vector<Detection> detect(const cv::Mat& bgr, std::optional<cv::Rect> roi) override {
    cv::Rect area(0, 0, bgr.cols, bgr.rows);
    if (roi) area &= *roi;
    if (area.area() <= 0) return {};
    cv::Mat padded;
    const Letterbox lb = letterbox(bgr(area), {input_, input_}, pre_.pad, padded);
    const cv::Mat blob = cv::dnn::blobFromImage(padded, pre_.scale, {}, {}, pre_.swap_rb, false);
    net_.setInput(blob);
    std::vector<cv::Mat> outputs;
    net_.forward(outputs, out_names_);
    const float threshold = threshold_;
    std::vector<RawDetection> raw;
    switch (kind_) {
      case DetectorKind::kYolox: raw = decode_yolox(outputs.at(0), input_, threshold); break;
      case DetectorKind::kFastestDet:
        raw = decode_fastestdet(outputs.at(0), input_, threshold);
        break;
      case DetectorKind::kDarknet: raw = decode_darknet(outputs, input_, threshold); break;
      case DetectorKind::kPose: break;  // a PoseDetector, never this class
    }
    std::vector<Detection> out;
    for (const RawDetection& r : nms_per_class(raw, threshold, static_cast<float>(config_.nms_iou))) {
      cv::Rect2d box = lb.to_source(r.box);
      box.x += area.x;
      box.y += area.y;
      box &= cv::Rect2d(0, 0, bgr.cols, bgr.rows);
      if (box.area() <= 0) continue;
      out.push_back({box, r.class_id, role_of(config_.classes, r.class_id), r.score});
    }
    return out;
  }

  [[nodiscard]] const std::string& model_hash() const override { return hash_; }
  [[nodiscard]] DetectorKind kind() const override { return kind_; }
  [[nodiscard]] int input_size() const override { return input_; }

 private:
  cv::dnn::Net net_;
  DetectorKind kind_;
  int input_;
  config::DetectorConfig config_;
  float threshold_;
  std::string hash_;
  Preprocess pre_;
  std::vector<std::string> out_names_;
};

/// The network input side written in a Darknet .cfg ([net] width=...), or 0.
int darknet_cfg_width(const std::string& cfg) {
  std::ifstream in(cfg);
  std::string line;
  while (std::getline(in, line)) {
    line.erase(std::remove_if(line.begin(), line.end(), ::isspace), line.end());
    if (line.rfind("width=", 0) == 0) return std::atoi(line.c_str() + 6);
  }
  return 0;
}

Status load_error(const std::string& file, const std::string& why) {
  return invalid_argument("detector: " + file + ": " + why);
}

}  // namespace

const char* to_string(DetectionRole role) {
  switch (role) {
    case DetectionRole::kPerson: return "person";
    case DetectionRole::kBag: return "bag";
    case DetectionRole::kWeapon: return "weapon";
    case DetectionRole::kVehicle: return "vehicle";
    case DetectionRole::kOther: break;
  }
  return "other";
}

Letterbox letterbox(const cv::Mat& src, cv::Size input, const cv::Scalar& pad, cv::Mat& out) {
  Letterbox lb;
  lb.input = input;
  lb.scale = std::min(static_cast<double>(input.width) / src.cols,
                      static_cast<double>(input.height) / src.rows);
  const cv::Size scaled(std::max(1, static_cast<int>(std::lround(src.cols * lb.scale))),
                        std::max(1, static_cast<int>(std::lround(src.rows * lb.scale))));
  out.create(input, src.type());
  out.setTo(pad);
  cv::resize(src, out(cv::Rect({0, 0}, scaled)), scaled, 0, 0,
             lb.scale < 1 ? cv::INTER_AREA : cv::INTER_LINEAR);
  return lb;
}

std::vector<RawDetection> decode_yolox(const cv::Mat& output, int input, float threshold) {
  std::vector<RawDetection> out;
  if (output.dims != 3 || output.size[2] < 6) return out;
  const int rows = output.size[1];
  const int width = output.size[2];
  const auto* data = reinterpret_cast<const float*>(output.data);
  int row = 0;
  for (const int stride : {8, 16, 32}) {
    const int grid = input / stride;
    for (int gy = 0; gy < grid; ++gy) {
      for (int gx = 0; gx < grid && row < rows; ++gx, ++row) {
        const float* p = data + static_cast<std::ptrdiff_t>(row) * width;
        const float objectness = p[4];
        if (objectness < threshold) continue;
        const float* classes = p + 5;
        const int best = static_cast<int>(std::max_element(classes, p + width) - classes);
        const float score = objectness * classes[best];
        if (score < threshold) continue;
        const double cx = (double{p[0]} + gx) * stride, cy = (double{p[1]} + gy) * stride;
        const double w = std::exp(double{p[2]}) * stride, h = std::exp(double{p[3]}) * stride;
        out.push_back({{cx - w / 2, cy - h / 2, w, h}, best, score});
      }
    }
  }
  return out;
}

std::vector<RawDetection> decode_fastestdet(const cv::Mat& output, int input, float threshold) {
  std::vector<RawDetection> out;
  if (output.dims != 4 || output.size[1] < 6) return out;
  const int channels = output.size[1], rows = output.size[2], cols = output.size[3];
  const auto* data = reinterpret_cast<const float*>(output.data);
  const std::ptrdiff_t plane = static_cast<std::ptrdiff_t>(rows) * cols;
  auto at = [&](int c, int y, int x) { return data[c * plane + y * cols + x]; };
  for (int y = 0; y < rows; ++y) {
    for (int x = 0; x < cols; ++x) {
      const float objectness = at(0, y, x);
      if (objectness <= 0) continue;
      int best = 0;
      float best_score = -1;
      for (int c = 5; c < channels; ++c) {
        if (at(c, y, x) > best_score) {
          best_score = at(c, y, x);
          best = c - 5;
        }
      }
      if (best_score <= 0) continue;
      const float score = std::pow(objectness, 0.6f) * std::pow(best_score, 0.4f);
      if (score < threshold) continue;
      const double cx = (x + std::tanh(double{at(1, y, x)})) / cols * input;
      const double cy = (y + std::tanh(double{at(2, y, x)})) / rows * input;
      const double w = double{sigmoid(at(3, y, x))} * input;
      const double h = double{sigmoid(at(4, y, x))} * input;
      out.push_back({{cx - w / 2, cy - h / 2, w, h}, best, score});
    }
  }
  return out;
}

std::vector<RawDetection> decode_darknet(const std::vector<cv::Mat>& outputs, int input,
                                         float threshold) {
  std::vector<RawDetection> out;
  for (const cv::Mat& o : outputs) {
    if (o.dims != 2 || o.cols < 6) continue;
    for (int r = 0; r < o.rows; ++r) {
      const float* p = o.ptr<float>(r);
      if (p[4] < threshold) continue;
      const float* classes = p + 5;
      const int best = static_cast<int>(std::max_element(classes, p + o.cols) - classes);
      // OpenCV's YOLO layer already multiplies class probabilities by the objectness.
      const float score = classes[best];
      if (score < threshold) continue;
      const double w = double{p[2]} * input, h = double{p[3]} * input;
      out.push_back({{double{p[0]} * input - w / 2, double{p[1]} * input - h / 2, w, h}, best, score});
    }
  }
  return out;
}

std::vector<RawDetection> nms_per_class(const std::vector<RawDetection>& in, float score_threshold,
                                        float iou_threshold) {
  // OpenCV 4.6 has no NMSBoxesBatched: run NMSBoxes once per class.
  std::map<int, std::vector<int>> by_class;
  for (std::size_t i = 0; i < in.size(); ++i) by_class[in[i].class_id].push_back(static_cast<int>(i));
  std::vector<RawDetection> out;
  for (const auto& [cls, indices] : by_class) {
    std::vector<cv::Rect2d> boxes;
    std::vector<float> scores;
    for (int i : indices) {
      boxes.push_back(in[i].box);
      scores.push_back(in[i].score);
    }
    std::vector<int> kept;
    cv::dnn::NMSBoxes(boxes, scores, score_threshold, iou_threshold, kept);
    for (int k : kept) out.push_back(in[indices[k]]);
  }
  std::sort(out.begin(), out.end(),
            [](const RawDetection& a, const RawDetection& b) { return a.score > b.score; });
  return out;
}

DetectionRole role_of(const config::DetectorClasses& classes, int class_id) {
  auto has = [&](const std::vector<int>& ids) {
    return std::find(ids.begin(), ids.end(), class_id) != ids.end();
  };
  if (has(classes.person)) return DetectionRole::kPerson;
  if (has(classes.weapon)) return DetectionRole::kWeapon;
  if (has(classes.bag)) return DetectionRole::kBag;
  if (has(classes.vehicle)) return DetectionRole::kVehicle;
  return DetectionRole::kOther;
}

Result<std::unique_ptr<Detector>> make_detector(const config::DetectorConfig& config) {
  const std::string& model = config.model;
  if (!fs::is_regular_file(model)) return load_error(model, "no such file");
  const std::string ext = fs::path(model).extension().string();
  std::string kind_name = config.kind;
  if (kind_name == "auto") {
    if (ext == ".weights") {
      kind_name = "darknet";
    } else if (ext == ".pb") {
      kind_name = "pose";
    } else if (ext != ".onnx") {
      return load_error(model, "cannot tell the model's format from '" + ext +
                                   "': name it .onnx, .weights or .pb, or set detector.kind");
    }
  }
  if (kind_name == "pose") return PoseDetector::load(config);
  cv::dnn::Net net;
  std::string cfg;
  try {
    if (kind_name == "darknet") {
      cfg = config.config_file.empty() ? fs::path(model).replace_extension(".cfg").string()
                                       : config.config_file;
      if (!fs::is_regular_file(cfg)) return load_error(cfg, "no such file (the Darknet .cfg)");
      net = cv::dnn::readNetFromDarknet(cfg, model);
    } else {
      net = cv::dnn::readNetFromONNX(model);
    }
  } catch (const cv::Exception& e) {
    return load_error(model, std::string("does not load: ") + e.what());
  }
  if (net.empty()) return load_error(model, "does not load (empty network)");
  net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
  net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);

  DetectorKind kind = DetectorKind::kDarknet;
  int input = config.input_size;
  if (kind_name == "yolox") kind = DetectorKind::kYolox;
  if (kind_name == "fastestdet") kind = DetectorKind::kFastestDet;
  if (kind_name == "darknet" && input == 0) input = darknet_cfg_width(cfg);
  // ONNX without an explicit kind: one probe inference tells the output's layout (YOLOX
  // [1, N, 85], FastestDet [1, 85, H, W]) and, for a fixed-size model, its input side.
  if (kind_name != "darknet") {
    // Sizes a fixed-size model refuses make OpenCV log errors: expected here, so silenced.
    const auto level = cv::utils::logging::getLogLevel();
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    struct Restore {
      cv::utils::logging::LogLevel level;
      ~Restore() { cv::utils::logging::setLogLevel(level); }
    } restore{level};
    for (int probe : {input, 416, 352, 320, 640}) {
      if (probe <= 0) continue;
      try {
        const int shape[] = {1, 3, probe, probe};
        net.setInput(cv::Mat(4, shape, CV_32F, cv::Scalar(0)));
        std::vector<cv::Mat> outs;
        net.forward(outs, net.getUnconnectedOutLayersNames());
        const cv::Mat& o = outs.at(0);
        const int cells = (probe / 8) * (probe / 8) + (probe / 16) * (probe / 16) +
                          (probe / 32) * (probe / 32);
        if (o.dims == 3 && o.size[1] == cells) {
          if (kind_name == "auto") kind = DetectorKind::kYolox;
          if (kind_name == "auto" || kind == DetectorKind::kYolox) {
            input = probe;
            break;
          }
        }
        if (o.dims == 4 && o.size[2] * 16 == probe) {
          if (kind_name == "auto") kind = DetectorKind::kFastestDet;
          if (kind_name == "auto" || kind == DetectorKind::kFastestDet) {
            input = probe;
            break;
          }
        }
      } catch (const cv::Exception&) {
        // A fixed-size model refuses other sizes: try the next.
      }
      if (kind_name == "auto" && probe == 640) {
        return load_error(model, "unknown output layout: set detector.kind (yolox, fastestdet)");
      }
    }
    if (kind_name == "auto" && input == 0) {
      return load_error(model, "unknown output layout: set detector.kind (yolox, fastestdet)");
    }
  }
  if (input <= 0) input = 416;
  cv::setNumThreads(config.threads);
  // The model's fingerprint goes into each detection's provenance; it was just read, so a
  // failure here is a file changing under us: the detector still runs, unfingerprinted.
  auto fingerprint = sha256_file(model);
  std::string hash = fingerprint.is_ok() ? std::move(*fingerprint) : std::string();
  return std::unique_ptr<Detector>(
      std::make_unique<DnnDetector>(std::move(net), kind, input, config, std::move(hash)));
}

}  // namespace vigie::perceive
