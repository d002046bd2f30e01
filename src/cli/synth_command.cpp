// vigie synth: render a synthetic scene with its ground truth.

#include <cstdio>

#include "cli/commands.hpp"
#include "synth/scenario.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string scenario;
  std::uint64_t seed = 1;
  std::string out;
  synth::RenderOptions render;
  double duration_s = 0;
  bool list = false;
};

int render(const Options& o) {
  if (o.list) {
    for (auto name : synth::scenario_names())
      std::printf("%.*s\n", static_cast<int>(name.size()), name.data());
    return 0;
  }
  if (o.scenario.empty() || o.out.empty()) {
    std::fprintf(stderr, "synth: --scenario and --out are required (see --list)\n");
    return 2;
  }
  synth::RenderOptions render_options = o.render;
  if (o.duration_s > 0) render_options.duration_s = o.duration_s;
  const auto r = synth::render_scenario(o.scenario, o.seed, o.out, render_options);
  if (!r.is_ok()) {
    std::fprintf(stderr, "synth: %s\n", r.status().message().c_str());
    return r.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  std::printf("%s: %d frames, %.1f s of video in %.2f s (%.1fx real time)\n", o.out.c_str(),
              r->frames, r->video_seconds, r->wall_seconds,
              r->wall_seconds > 0 ? r->video_seconds / r->wall_seconds : 0.0);
  return 0;
}

}  // namespace

Command add_synth_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "synth", "Render a synthetic scene: video.mp4, truth.json and camera.yaml in --out.");
  sub->add_option("--scenario", opts->scenario, "Scenario name (see --list)");
  sub->add_option("--seed", opts->seed, "Random seed; the same seed gives the same files")
      ->capture_default_str();
  sub->add_option("--out", opts->out, "Output folder (created if needed)");
  sub->add_option("--width", opts->render.width, "Frame width in pixels")
      ->check(CLI::Range(160, 3840))
      ->capture_default_str();
  sub->add_option("--height", opts->render.height, "Frame height in pixels")
      ->check(CLI::Range(90, 2160))
      ->capture_default_str();
  sub->add_option("--fps", opts->render.fps, "Frames per second")
      ->check(CLI::Range(1.0, 60.0))
      ->capture_default_str();
  sub->add_option("--duration", opts->duration_s, "Seconds of video (default: the scenario's own)")
      ->check(CLI::Range(1.0, 3600.0));
  sub->add_flag("--list", opts->list, "List the scenarios and exit");
  return {sub, [opts] { return render(*opts); }};
}

}  // namespace vigie::cli
