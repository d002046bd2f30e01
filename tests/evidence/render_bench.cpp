// Time to render one alert's evidence (snapshot, masked clip, raw remux) from a file.
// Usage: evidence_render_bench FILE OUT_DIR [--start S] [--persons N]
// Loads the whole file into a packet ring, puts an alert at S seconds (default 10) with N
// person boxes (default 3) in every frame, and renders with the default 5 s + 10 s window.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "evidence/evidence.hpp"

namespace {

using namespace vigie;

bool fill(const std::string& path, ingest::PacketRing& ring, cv::Size& size) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return false;
  ingest::av::InputPtr in(raw);
  avformat_find_stream_info(raw, nullptr);
  const int idx = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (idx < 0) return false;
  auto info = std::make_shared<ingest::av::StreamInfo>();
  info->codecpar = ingest::av::copy_codecpar(*raw->streams[idx]->codecpar);
  info->time_base = raw->streams[idx]->time_base;
  info->frame_rate = raw->streams[idx]->avg_frame_rate;
  size = {info->codecpar->width, info->codecpar->height};
  ingest::av::PacketPtr pkt = ingest::av::make_packet();
  bool first = true;
  while (av_read_frame(raw, pkt.get()) >= 0) {
    if (pkt->stream_index == idx) {
      if (first) {
        info->first_pts = ingest::av::packet_ts(*pkt);
        ring.reset(info);
        first = false;
      }
      ring.push(*pkt);
    }
    av_packet_unref(pkt.get());
  }
  return !first;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: %s FILE OUT_DIR [--start S] [--persons N]\n", argv[0]);
    return 2;
  }
  double start = 10.0;
  int persons = 3;
  for (int i = 3; i + 1 < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--start") start = std::atof(argv[++i]);
    if (a == "--persons") persons = std::atoi(argv[++i]);
  }
  ingest::av::install_log_bridge();
  evidence::EvidenceOptions options;
  ingest::PacketRing ring(1e9);
  cv::Size size;
  if (!fill(argv[1], ring, size)) {
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
    evidence::TimedBoxes boxes{t, {}};
    for (int p = 0; p < persons; ++p) {
      boxes.boxes.emplace_back(size.width * (0.1 + 0.25 * p), size.height * 0.3, size.width * 0.06,
                               size.height * 0.35);
    }
    r.persons.push_back(std::move(boxes));
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto files = evidence::write_evidence(r, argv[2], options);
  const double ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!files) {
    std::fprintf(stderr, "%s\n", files.status().to_string().c_str());
    return 1;
  }
  std::printf("size=%dx%d clip=%.2f..%.2f s render_ms=%.0f\n", size.width, size.height,
              (*files)[1].from_s, (*files)[1].to_s, ms);
  for (const auto& f : *files) {
    std::printf("  %s %lld bytes sha256=%s\n", f.path.c_str(), static_cast<long long>(f.bytes),
                f.sha256.c_str());
  }
  return 0;
}
