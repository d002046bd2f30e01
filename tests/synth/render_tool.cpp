// Renders one scenario to a folder and prints the speed: synth_render NAME SEED OUT_DIR [SECONDS]
#include <cstdio>
#include <cstdlib>
#include <string>

#include "synth/scenario.hpp"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: synth_render NAME SEED OUT_DIR [SECONDS]\n");
    return 2;
  }
  vigie::synth::RenderOptions options;
  if (argc > 4) options.duration_s = std::strtod(argv[4], nullptr);
  const auto stats =
      vigie::synth::render_scenario(argv[1], std::strtoull(argv[2], nullptr, 10), argv[3], options);
  if (!stats) {
    std::fprintf(stderr, "%s\n", stats.status().to_string().c_str());
    return 1;
  }
  std::printf("%s: %d frames, %.1f s of video in %.2f s: %.0f frames/s, %.1fx real time\n", argv[1],
              stats->frames, stats->video_seconds, stats->wall_seconds,
              stats->frames / stats->wall_seconds, stats->video_seconds / stats->wall_seconds);
  return 0;
}
