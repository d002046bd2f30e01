// vigie: real-time video analytics for public-safety operators.

#include <CLI/CLI.hpp>

#include <malloc.h>

#include <cstdio>
#include <vector>

#include <opencv2/core/version.hpp>
extern "C" {
#include <libavcodec/version.h>
#include <libavformat/version.h>
}

#include "cli/commands.hpp"
#include "cli/version.hpp"
#include "core/log.hpp"
#include "ingest/libav.hpp"

namespace vigie::cli {
namespace {
std::optional<std::string> g_log_level;
}
const std::optional<std::string>& log_level_override() {
  return g_log_level;
}
}  // namespace vigie::cli

namespace {

std::string version_text() {
  return std::string("vigie ") + VIGIE_VERSION + " (OpenCV " CV_VERSION ", libavformat " +
         AV_STRINGIFY(LIBAVFORMAT_VERSION) + ", libavcodec " + AV_STRINGIFY(LIBAVCODEC_VERSION) +
         ")";
}

}  // namespace

int main(int argc, char** argv) {
  // Analysis allocates image-sized temporaries (a few hundred KB each) on every frame. With
  // glibc's defaults each one is a fresh mmap, zero-filled page by page by the kernel:
  // about a tenth of the analysis threads' time went to page faults. Kept in the heap and
  // not trimmed back after each frame, the same pages serve the next one, for a few MB more
  // resident memory per process.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  vigie::init_logging("info");
  // libav (decoders, and x264 when rendering scenes) logs through spdlog, scrubbed of secrets.
  vigie::ingest::av::install_log_bridge();
  CLI::App app{
      "vigie: signals eight kinds of situation on CCTV streams to a human operator.\n"
      "It never identifies anyone and never acts on its own."};
  app.set_version_flag("--version", version_text());
  app.require_subcommand(1);
  std::string log_level;
  app.add_option("--log-level", log_level,
                 "Least severe messages logged: trace, debug, info, warn, error")
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  const std::vector<vigie::cli::Command> commands = {
      vigie::cli::add_run_command(app),     vigie::cli::add_demo_command(app),
      vigie::cli::add_synth_command(app),   vigie::cli::add_check_config_command(app),
      vigie::cli::add_eval_command(app),    vigie::cli::add_stop_command(app),
      vigie::cli::add_resume_command(app),  vigie::cli::add_reload_command(app),
      vigie::cli::add_journal_command(app), vigie::cli::add_user_command(app),
      vigie::cli::add_migrate_command(app),
      vigie::cli::add_bench_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : 2;
  }
  if (!log_level.empty()) {
    vigie::cli::g_log_level = log_level;
    vigie::init_logging(log_level);
  }
  for (const auto& command : commands) {
    if (command.app->parsed()) return command.run();
  }
  return 2;
}
