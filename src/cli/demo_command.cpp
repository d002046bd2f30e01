// vigie demo: render the demo scenes if needed, then run the engine on them at real-time pace.

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/run_loop.hpp"
#include "config/loader.hpp"
#include "engine/engine.hpp"
#include "synth/scenario.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::cli {
namespace fs = std::filesystem;
namespace {

struct Options {
  std::string dir;
  std::vector<std::string> scenarios;
  std::uint64_t seed = 7;
  double duration_s = 0;
  double status_interval_s = 1.0;
};

std::string default_demo_dir() {
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg != '\0') {
    return (fs::path(xdg) / "vigie" / "demo").string();
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return (fs::path(home) / ".cache" / "vigie" / "demo").string();
  }
  return "vigie-demo";
}

int demo(const Options& o) {
  const fs::path root = o.dir.empty() ? default_demo_dir() : o.dir;
  std::vector<std::string> scenarios = o.scenarios;
  if (scenarios.empty()) {
    for (auto name : synth::scenario_names()) scenarios.emplace_back(name);
  }
  std::vector<synth::SceneRequest> requests;
  for (const auto& name : scenarios) requests.push_back({name, o.seed, root / name});
  if (Status s = synth::ensure_scenes(requests); !s.is_ok()) {
    std::fprintf(stderr, "demo: %s\n", s.to_string().c_str());
    return s.code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  config::Config config;
  for (const auto& name : scenarios) {
    const fs::path dir = root / name;
    config::CameraLoadResult camera = config::load_camera_file(dir / "camera.yaml");
    if (!camera.ok()) {
      std::fputs(camera.error_text((dir / "camera.yaml").string()).c_str(), stderr);
      return 1;
    }
    camera.camera->input.loop = true;  // a demo camera never runs out of video
    camera.camera->input.realtime = true;
    config.cameras.push_back(std::move(*camera.camera));
  }
  std::printf("demo: %zu cameras from %s, at real-time pace; Ctrl-C stops\n", config.cameras.size(),
              root.c_str());
  engine::EngineOptions options;
  options.make_source = ingest::make_source;
  options.on_alert = print_alerts();
  engine::Engine engine(config, std::move(options));
  RunLoopOptions loop;
  loop.status_interval_s = o.status_interval_s;
  loop.stop_when_finished = false;
  if (o.duration_s > 0) loop.duration_s = o.duration_s;
  return run_engine_in_foreground(engine, loop);
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "demo", "Run the engine on generated scenes (rendered on first use) at real-time pace.");
  sub->add_option("--dir", opts->dir,
                  "Folder of the rendered scenes (default: $XDG_CACHE_HOME/vigie/demo)");
  sub->add_option("--scenario", opts->scenarios, "Scenario to include (repeatable; default: all)");
  sub->add_option("--seed", opts->seed, "Seed of the rendered scenes")->capture_default_str();
  sub->add_option("--duration", opts->duration_s, "Stop after this many seconds (default: Ctrl-C)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--status-interval", opts->status_interval_s,
                  "Seconds between camera health lines (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return {sub, [opts] { return demo(*opts); }};
}

}  // namespace vigie::cli
