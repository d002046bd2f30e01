// vigie run: run the engine on a configuration file.

#include <algorithm>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/run_loop.hpp"
#include "config/loader.hpp"
#include "core/log.hpp"
#include "core/redact.hpp"
#include "engine/node.hpp"
#include "perceive/detector.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string config_file;
  double duration_s = 0;
  double status_interval_s = 1.0;
  bool fast = false;
};

int run(const Options& o) {
  const config::LoadResult r = config::load_config_file(o.config_file);
  if (!r.ok()) {
    std::fputs(redact(r.error_text(o.config_file)).c_str(), stderr);
    std::fprintf(stderr, "%s: not started: %zu configuration error(s)\n", o.config_file.c_str(),
                 r.errors.size());
    return 2;
  }
  if (!log_level_override()) init_logging(r.config->log_level);
  if (r.config->detector) {
    // A model that does not load stops the start, naming the file, before any camera opens.
    if (auto d = perceive::make_detector(*r.config->detector); !d.is_ok()) {
      std::fprintf(stderr, "%s: not started: %s\n", o.config_file.c_str(),
                   d.status().message().c_str());
      return 2;
    }
  } else {
    for (const auto& c : r.config->cameras) {
      for (const auto& rule : c.rules) {
        if (rule.enabled && rule.type() == EventType::kWeapon) {
          spdlog::warn("camera {}: the weapon rule needs a detector model (detector: section); "
                       "it will not run",
                       c.id);
        }
      }
    }
  }
  engine::NodeOptions options;
  options.also_on_alert = print_alerts();
  options.config_file = o.config_file;
  if (o.fast) options.pacing = ingest::Pacing::kAsFastAsPossible;
  RunLoopOptions loop;
  loop.status_interval_s = o.status_interval_s;
  if (o.duration_s > 0) loop.duration_s = o.duration_s;
  // A node with live cameras runs until stopped; one made only of files ends with them. One
  // with no enabled camera (a fresh installation: API and console only) runs until stopped.
  loop.stop_when_finished =
      std::any_of(r.config->cameras.begin(), r.config->cameras.end(),
                  [](const config::CameraConfig& c) { return c.enabled; });
  return run_node_in_foreground(*r.config, std::move(options), loop);
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub =
      app.add_subcommand("run", "Run the engine on the cameras of a configuration file.");
  sub->add_option("--config,-c", opts->config_file, "YAML configuration file")->required();
  sub->add_option("--duration", opts->duration_s,
                  "Stop after this many seconds (default: run until stopped)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--status-interval", opts->status_interval_s,
                  "Seconds between camera health lines (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  sub->add_flag("--fast", opts->fast,
                "Read files as fast as possible instead of at their own pace");
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace vigie::cli
