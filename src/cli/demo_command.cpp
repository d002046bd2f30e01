// vigie demo: render the demo scenes if needed, then run the engine on them at real-time pace.

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "cli/run_loop.hpp"
#include "config/loader.hpp"
#include "core/iso_time.hpp"
#include "engine/node.hpp"
#include "govern/users.hpp"
#include "storage/store.hpp"
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
  int port = 8080;
  std::string listen = "127.0.0.1";
};

// The demo's users, one per role, all with this password: printed at start.
constexpr const char* kDemoPassword = "vigie-demo";

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
  // Analysis runs only under an authorization: the demo makes one, plainly labelled, for its
  // own cameras and every event type, from now for a day.
  config::Authorization demo_order;
  demo_order.reference = "DEMO (not a prefectoral order)";
  for (const auto& c : config.cameras) demo_order.cameras.push_back(c.id);
  demo_order.event_types.assign(kAllEventTypes.begin(), kAllEventTypes.end());
  const auto now = std::chrono::system_clock::now();
  demo_order.start = format_iso8601(now - std::chrono::hours(1));
  demo_order.end = format_iso8601(now + std::chrono::hours(24));
  demo_order.controller = "vigie demo";
  config.authorizations.push_back(demo_order);
  config.storage.data_dir = (root / "data").string();
  config.api.port = o.port;
  config.api.listen = o.listen;
  config.api.admin_user = "admin";
  config.api.admin_password = kDemoPassword;

  std::printf("demo: %zu cameras from %s, at real-time pace; Ctrl-C stops\n", config.cameras.size(),
              root.c_str());
  {
    // One user per role, created on the first run (the node creates the admin itself).
    auto store = storage::make_store(config.storage);
    if (!store.is_ok()) {
      std::fprintf(stderr, "demo: %s\n", store.status().to_string().c_str());
      return 1;
    }
    govern::UserDirectory users(**store, SystemClock::instance());
    for (const char* role : {"operator", "supervisor", "auditor"}) {
      auto user = users.find(role);
      if (!user.is_ok() || user->has_value()) continue;
      auto created = users.create("demo", role, *govern::role_from_string(role), kDemoPassword);
      if (!created.is_ok()) {
        std::fprintf(stderr, "demo: %s\n", created.status().to_string().c_str());
        return 1;
      }
    }
  }
  std::printf("demo login: operator, supervisor, auditor or admin, password %s\n", kDemoPassword);
  std::fflush(stdout);
  engine::NodeOptions options;
  options.also_on_alert = print_alerts();
  RunLoopOptions loop;
  loop.status_interval_s = o.status_interval_s;
  loop.stop_when_finished = false;
  loop.console_login = std::string("login operator / ") + kDemoPassword;
  if (o.duration_s > 0) loop.duration_s = o.duration_s;
  return run_node_in_foreground(config, std::move(options), loop);
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
  sub->add_option("--port", opts->port, "Port of the API and console (0: any free port)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  sub->add_option("--listen", opts->listen, "Address of the API and console")
      ->capture_default_str();
  sub->add_option("--status-interval", opts->status_interval_s,
                  "Seconds between camera health lines (0: none)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  return {sub, [opts] { return demo(*opts); }};
}

}  // namespace vigie::cli
