// vigie check-config: validate a configuration file without running anything.

#include <cstdio>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "config/to_json.hpp"
#include "core/redact.hpp"
#include "perceive/detector.hpp"

namespace vigie::cli {
namespace {

struct Options {
  std::string file;
  bool json = false;
  bool schema = false;
};

int print_schema() {
  for (const auto& d : config::describe_schema()) {
    if (d.kind == "section" || d.kind == "list") {
      std::printf("\n%s  (%s)\n    %s\n", d.path.c_str(), d.kind.c_str(), d.description.c_str());
      continue;
    }
    std::string extra = d.bounds;
    if (!d.default_value.empty())
      extra += (extra.empty() ? "" : "; ") + ("default " + d.default_value);
    std::printf("%s  (%s: %s)\n    %s\n", d.path.c_str(), d.kind.c_str(), extra.c_str(),
                d.description.c_str());
  }
  return 0;
}

int check(const Options& o) {
  if (o.schema) return print_schema();
  if (o.file.empty()) {
    std::fprintf(stderr, "check-config: give a FILE, or --schema\n");
    return 2;
  }
  const config::LoadResult r = config::load_config_file(o.file);
  if (!r.ok()) {
    std::fputs(redact(r.error_text(o.file)).c_str(), stderr);
    std::fprintf(stderr, "%s: %zu error(s); nothing was applied\n", o.file.c_str(),
                 r.errors.size());
    return 2;
  }
  if (o.json) {
    std::puts(config::to_json(*r.config).dump(2).c_str());
    return 0;
  }
  const config::Config& c = *r.config;
  // The model must load, not only exist: the engine would refuse to start otherwise.
  if (c.detector) {
    auto d = perceive::make_detector(*c.detector);
    if (!d.is_ok()) {
      std::fprintf(stderr, "%s: detector.model: %s\n", o.file.c_str(), d.status().message().c_str());
      return 2;
    }
  }
  std::printf("%s: valid (version %s)\n", o.file.c_str(), config::config_version(c).c_str());
  for (const auto& cam : c.cameras) {
    std::printf("  camera %s%s: %s, %zu zone(s), %zu line(s), %zu rule(s)%s\n", cam.id.c_str(),
                cam.enabled ? "" : " (disabled)", redact_url(cam.url).c_str(), cam.zones.size(),
                cam.lines.size(), cam.rules.size(), cam.calibration ? ", calibrated" : "");
  }
  std::printf(
      "  %zu authorization(s); storage %s in %s; API on %s:%d; MQTT %s\n", c.authorizations.size(),
      c.storage.backend == config::StorageBackend::kSqlite ? "sqlite" : "postgres",
      c.storage.data_dir.c_str(), c.api.listen.c_str(), c.api.port, c.mqtt.enabled ? "on" : "off");
  if (c.detector) {
    std::printf("  detector %s (%s), %.1f inferences/s per camera, %.1f for the node\n",
                c.detector->model.c_str(), c.detector->kind.c_str(), c.detector->camera_rate_hz,
                c.detector->global_rate_hz);
  }
  return 0;
}

}  // namespace

Command add_check_config_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* sub = app.add_subcommand(
      "check-config", "Validate a configuration file: every error with its key path and line.");
  sub->add_option("FILE", opts->file, "YAML configuration file");
  sub->add_flag("--json", opts->json, "Print the validated configuration as JSON (secrets hidden)");
  sub->add_flag("--schema", opts->schema,
                "List every key with its default, bounds and description");
  return {sub, [opts] { return check(*opts); }};
}

}  // namespace vigie::cli
