// Time to render one alert's evidence (snapshot, masked clip, raw remux) from a file.
// Usage: evidence_render_bench FILE OUT_DIR [--start S] [--persons N] [--width W] [--preset P]
//                              [--x264-params X] [--repeat R]
// Loads the whole file into a packet ring, puts an alert at S seconds (default 10) with N
// person boxes (default 3) in every frame, and renders with the default 5 s + 10 s window,
// at most W px wide (default: EvidenceOptions' render_width; 0: the source's width), with
// x264 preset P and options X (default: EvidenceOptions'; "" for none), R times in a row
// (default 1; the first rendering of a process also pays for loading libraries' code).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "core/process_usage.hpp"
#include "evidence/evidence.hpp"
#include "evidence/evidence_test_support.hpp"

using namespace vigie;  // a one-file tool

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr,
                 "usage: %s FILE OUT_DIR [--start S] [--persons N] [--width W] [--preset P] "
                 "[--x264-params X] [--repeat R]\n",
                 argv[0]);
    return 2;
  }
  double start = 10.0;
  int persons = 3;
  int repeat = 1;
  evidence::EvidenceOptions options;
  for (int i = 3; i + 1 < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--start") start = std::atof(argv[++i]);
    if (a == "--persons") persons = std::atoi(argv[++i]);
    if (a == "--width") options.render_width = std::atoi(argv[++i]);
    if (a == "--preset") options.preset = argv[++i];
    if (a == "--x264-params") options.x264_params = argv[++i];
    if (a == "--repeat") repeat = std::max(1, std::atoi(argv[++i]));
  }
  ingest::av::install_log_bridge();
  ingest::PacketRing ring(1e9);
  cv::Size size;
  if (!evidence::testing::fill_ring(argv[1], ring, &size)) {
    std::fprintf(stderr, "cannot read %s\n", argv[1]);
    return 1;
  }
  evidence::EvidenceRequest r;
  r.alert.id = "bench-1";
  r.alert.camera = "bench";
  r.alert.start_s = start;
  r.alert.region =
      cv::Rect2d(size.width * 0.4, size.height * 0.3, size.width * 0.1, size.height * 0.4);
  r.zone = {{0.1 * size.width, 0.5 * size.height},
            {0.9 * size.width, 0.5 * size.height},
            {0.9 * size.width, 0.9 * size.height},
            {0.1 * size.width, 0.9 * size.height}};
  r.privacy_masks = {{{0.0, 0.0}, {0.2 * size.width, 0.0}, {0.0, 0.2 * size.height}}};
  r.clip = ring.snapshot(start - options.clip_before_s, start + options.clip_after_s);
  for (double t = r.clip.from_s; t <= r.clip.to_s; t += 0.1) {
    evidence::TimedBoxes boxes{t, {}, {}};
    for (int p = 0; p < persons; ++p) {
      boxes.boxes.emplace_back(size.width * (0.1 + 0.25 * p), size.height * 0.3, size.width * 0.06,
                               size.height * 0.35);
    }
    r.persons.push_back(std::move(boxes));
  }
  for (int run = 0; run < repeat; ++run) {
    const auto t0 = std::chrono::steady_clock::now();
    const double cpu0 = read_process_usage().cpu_s;
    auto files = evidence::write_evidence(r, argv[2], options);
    const double cpu_s = read_process_usage().cpu_s - cpu0;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    if (!files) {
      std::fprintf(stderr, "%s\n", files.status().to_string().c_str());
      return 1;
    }
    std::printf(
        "size=%dx%d width=%d preset=%s x264=%s clip=%.2f..%.2f s render_ms=%.0f "
        "cpu_s=%.2f\n",
        size.width, size.height, options.render_width, options.preset.c_str(),
        options.x264_params.c_str(), (*files)[1].from_s, (*files)[1].to_s, ms, cpu_s);
    if (run + 1 < repeat) continue;
    for (const auto& f : *files) {
      std::printf("  %s %lld bytes sha256=%s\n", f.path.c_str(), static_cast<long long>(f.bytes),
                  f.sha256.c_str());
    }
  }
  return 0;
}
