// Decode throughput of one file through Source, as fast as possible, on one decode thread.
// Usage: ingest_decode_bench FILE [--no-skip-loop-filter] [--analysis-fps F] [--width W]
// Prints frames decoded, frames analysed and frames per second.

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "ingest/source.hpp"

int main(int argc, char** argv) {
  using namespace vigie;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE [--no-skip-loop-filter] [--analysis-fps F] [--width W]\n",
                 argv[0]);
    return 2;
  }
  ingest::SourceOptions o;
  o.camera = "bench";
  o.url = argv[1];
  o.pacing = ingest::Pacing::kAsFastAsPossible;
  o.analysis_fps = 0;  // every frame goes through sampling and scaling
  for (int i = 2; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--no-skip-loop-filter") o.skip_loop_filter = false;
    if (a == "--analysis-fps" && i + 1 < argc) o.analysis_fps = std::atof(argv[++i]);
    if (a == "--width" && i + 1 < argc) o.analysis_width = std::atoi(argv[++i]);
  }
  auto source = ingest::make_source(o, SystemClock::instance());
  std::mutex m;
  std::condition_variable cv;
  bool ready = false;
  const auto t0 = std::chrono::steady_clock::now();
  source->start([&] {
    std::lock_guard lock(m);
    ready = true;
    cv.notify_one();
  });
  Frame frame;
  for (bool done = false; !done;) {
    {
      std::unique_lock lock(m);
      cv.wait(lock, [&] { return ready; });
      ready = false;
    }
    for (;;) {
      const ingest::StepResult r = source->step(frame);
      if (r == ingest::StepResult::kFrame) continue;
      done = r == ingest::StepResult::kEnded;
      break;
    }
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const CameraHealth h = source->health();
  source->stop();
  std::printf("state=%s decoded=%llu analysed=%llu seconds=%.3f decode_fps=%.1f\n",
              std::string(to_string(h.state)).c_str(),
              static_cast<unsigned long long>(h.frames_decoded),
              static_cast<unsigned long long>(h.frames_analysed), s,
              static_cast<double>(h.frames_decoded) / s);
  return h.state == CameraState::kEnded ? 0 : 1;
}
