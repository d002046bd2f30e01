// Detector benchmark: milliseconds per inference of each model at its input size on one core
// (cv::setNumThreads(1)), single images against batches, and what it finds in a rendered
// synthetic frame. Not a test: run it by hand.
//
//   detector_bench [MODEL...]   (default: the models of ../shared/models)
//   detector_bench --scene NAME --seed N --frame I [--width W] MODEL...

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include <opencv2/core/utility.hpp>
#include <opencv2/dnn.hpp>
#include <opencv2/imgproc.hpp>

#include "perceive/detector.hpp"
#include "synth/scene.hpp"

namespace fs = std::filesystem;
using namespace vigie;

namespace {

double now_ms() {
  return std::chrono::duration<double, std::milli>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string scene_name = "intrusion";
  int seed = 1, frame = -1, width = 320, runs = 20;
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--scene" && i + 1 < argc) scene_name = argv[++i];
    else if (a == "--seed" && i + 1 < argc) seed = std::atoi(argv[++i]);
    else if (a == "--frame" && i + 1 < argc) frame = std::atoi(argv[++i]);
    else if (a == "--width" && i + 1 < argc) width = std::atoi(argv[++i]);
    else if (a == "--runs" && i + 1 < argc) runs = std::atoi(argv[++i]);
    else models.push_back(a);
  }
  if (models.empty()) {
    const fs::path dir = fs::path(VIGIE_SHARED_DIR) / "models";
    for (const char* m : {"yolox_nano.onnx", "FastestDet.onnx", "yolo-fastest-1.1.weights",
                          "yolo-fastest-1.1_body.weights"}) {
      if (fs::exists(dir / m)) models.push_back((dir / m).string());
    }
  }
  cv::setNumThreads(1);

  auto scene = synth::Scene::create(scene_name, static_cast<std::uint64_t>(seed));
  if (!scene.is_ok()) {
    std::fprintf(stderr, "%s\n", scene.status().to_string().c_str());
    return 2;
  }
  const int index = frame >= 0 ? frame : (*scene)->frame_count() / 2;
  cv::Mat source, image;
  const synth::FrameTruth truth = (*scene)->render(index, source);
  const double to_source = static_cast<double>(source.cols) / width;
  cv::resize(source, image, {width, static_cast<int>(std::lround(source.rows / to_source))}, 0, 0,
             cv::INTER_AREA);
  std::printf("scene %s seed %d frame %d: %zu persons in truth (image %dx%d)\n",
              scene_name.c_str(), seed, index, truth.persons.size(), image.cols, image.rows);
  for (const auto& p : truth.persons) {
    std::printf("  truth person [%.0f %.0f %.0f %.0f]\n", p.box.x / to_source, p.box.y / to_source,
                p.box.width / to_source, p.box.height / to_source);
  }

  for (const auto& m : models) {
    config::DetectorConfig c;
    c.model = m;
    c.threads = 1;
    auto d = perceive::make_detector(c);
    if (!d.is_ok()) {
      std::printf("%s: %s\n", m.c_str(), d.status().to_string().c_str());
      continue;
    }
    perceive::Detector& det = **d;
    det.detect(image);  // warm-up
    const double t0 = now_ms();
    std::vector<perceive::Detection> found;
    for (int r = 0; r < runs; ++r) found = det.detect(image);
    const double per = (now_ms() - t0) / runs;
    std::printf("%s: input %d, %.1f ms per inference (1 thread), sha256 %.12s\n",
                fs::path(m).filename().c_str(), det.input_size(), per,
                det.model_hash().c_str());
    for (const auto& f : found) {
      std::printf("  %-7s class %2d score %.2f [%.0f %.0f %.0f %.0f]\n", perceive::to_string(f.role),
                  f.class_id, f.score, f.box.x, f.box.y, f.box.width, f.box.height);
    }
    // Batching: the same network on N images at once, to see whether the CPU backend gains.
    if (fs::path(m).extension() == ".onnx" || fs::path(m).extension() == ".weights") {
      cv::dnn::Net net = fs::path(m).extension() == ".onnx"
                             ? cv::dnn::readNetFromONNX(m)
                             : cv::dnn::readNetFromDarknet(fs::path(m).replace_extension(".cfg").string(), m);
      const int s = det.input_size();
      for (int batch : {1, 4}) {
        std::vector<cv::Mat> images(static_cast<std::size_t>(batch), cv::Mat(s, s, CV_8UC3, cv::Scalar(90, 100, 110)));
        const cv::Mat blob = cv::dnn::blobFromImages(images, 1.0 / 255, {}, {}, false, false);
        try {
          net.setInput(blob);
          std::vector<cv::Mat> outs;
          net.forward(outs, net.getUnconnectedOutLayersNames());
          const double b0 = now_ms();
          const int n = std::max(2, runs / batch);
          for (int r = 0; r < n; ++r) {
            net.setInput(blob);
            net.forward(outs, net.getUnconnectedOutLayersNames());
          }
          std::printf("  batch %d: %.1f ms per image\n", batch, (now_ms() - b0) / n / batch);
        } catch (const cv::Exception& e) {
          std::printf("  batch %d: refused by the model (%s)\n", batch, e.err.c_str());
        }
      }
    }
  }
  return 0;
}
