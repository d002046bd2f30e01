#include "cli/run_loop.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "cli/service_notify.hpp"
#include "core/iso_time.hpp"
#include "engine/status_table.hpp"

namespace vigie::cli {
namespace {

std::atomic<int> g_signal{0};
// Apart from g_signal: a reload asked at the same moment as a stop is not lost, nor the stop.
std::atomic<bool> g_reload{false};

extern "C" void on_signal(int sig) {
  if (sig == SIGHUP) {
    g_reload.store(true);
    return;
  }
  g_signal.store(sig);
}

// Pings systemd's watchdog when due, but only while analysis makes progress: a hung step
// stops the pings and systemd restarts the service (WatchdogSec=, Restart=on-failure).
void keep_watchdog(ServiceNotifier& notifier, const engine::Engine& engine,
                   ServiceNotifier::SteadyTime now, bool& was_stuck) {
  if (!notifier.watchdog_due(now)) return;
  // Half the interval: a hang is noticed, and the process killed, within 1.5 intervals.
  const double stuck_after_s = std::chrono::duration<double>(*notifier.watchdog()).count() / 2;
  const engine::SchedulerHealth h = engine.analysis_health(now, stuck_after_s);
  const bool stuck = h.state == engine::SchedulerState::kStuck;
  if (stuck && !was_stuck) {
    spdlog::error("analysis is stuck (a step has run {:.1f} s, a camera has waited {:.1f} s): "
                  "the watchdog is no longer pinged",
                  h.longest_step_s, h.oldest_wait_s);
    notifier.status("analysis stuck");
  } else if (!stuck && was_stuck) {
    spdlog::warn("analysis makes progress again: the watchdog is pinged again");
    notifier.status("running");
  }
  was_stuck = stuck;
  if (!stuck) notifier.watchdog_ping(now);
}

}  // namespace

rules::AlertSink print_alerts() {
  auto mutex = std::make_shared<std::mutex>();
  return [mutex](const Alert& a, AlertChange change) {
    if (change == AlertChange::kUpdated) return;
    const auto& r = a.region;
    std::lock_guard lock(*mutex);
    if (change == AlertChange::kRaised) {
      std::printf(
          "\a\n*** ALERT %s  camera %s%s%s  at %.1f s  score %.2f  region [%.0f, %.0f, %.0f, %.0f] "
          " %s\n",
          std::string(to_string(a.type)).c_str(), a.camera.c_str(), a.zone.empty() ? "" : "  zone ",
          a.zone.c_str(), a.start_s, a.score, r.x, r.y, r.width, r.height, a.detail.c_str());
    } else {
      std::printf("    ended %s (%s, camera %s) after %.1f s\n", a.id.c_str(),
                  std::string(to_string(a.type)).c_str(), a.camera.c_str(), a.last_s - a.start_s);
    }
    std::fflush(stdout);
  };
}

int run_engine_in_foreground(engine::Engine& engine, const RunLoopOptions& options) {
  g_signal = 0;
  g_reload = false;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  std::signal(SIGUSR1, on_signal);
  std::signal(SIGHUP, on_signal);
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto next_print = started + std::chrono::duration<double>(options.status_interval_s);
  engine.start();
  ServiceNotifier notifier;
  notifier.ready(options.ready_status);
  bool was_stuck = false;
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    keep_watchdog(notifier, engine, now, was_stuck);
    if (g_reload.exchange(false)) {
      if (options.on_reload_signal) {
        spdlog::info("SIGHUP received: reloading the configuration");
        notifier.reloading();
        options.on_reload_signal();
        notifier.ready(options.ready_status);
      } else {
        spdlog::warn("SIGHUP received: this command has no configuration to reload; ignored");
      }
    }
    if (const int sig = g_signal.exchange(0); sig == SIGUSR1) {
      spdlog::warn("SIGUSR1 received: global stop of analysis");
      if (options.on_stop_signal) options.on_stop_signal();
    } else if (sig != 0) {
      spdlog::info("signal {} received: stopping", sig);
      break;
    }
    if (options.duration_s &&
        std::chrono::duration<double>(now - started).count() >= *options.duration_s) {
      break;
    }
    if (options.stop_when_finished && engine.finished()) {
      spdlog::info("every input has ended");
      break;
    }
    if (options.status_interval_s > 0 && now >= next_print) {
      next_print += std::chrono::duration<double>(options.status_interval_s);
      std::printf("\n%s\n%s", format_iso8601(std::chrono::system_clock::now()).c_str(),
                  engine::format_status_table(engine.status()).c_str());
      std::fflush(stdout);
    }
  }
  notifier.stopping();
  engine.stop();
  const auto final_status = engine.status();
  std::printf("\n%s", engine::format_status_table(final_status).c_str());
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGUSR1, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
  const bool all_failed = !final_status.empty() &&
                          std::all_of(final_status.begin(), final_status.end(), [](const auto& s) {
                            return s.health.state == CameraState::kFailed;
                          });
  return all_failed ? 1 : 0;
}

std::string default_console_dir() {
  namespace fs = std::filesystem;
  std::vector<fs::path> candidates;
  if (const char* env = std::getenv("VIGIE_CONSOLE_DIR"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path bin = exe.parent_path();
    candidates.push_back(bin / "console");
    candidates.push_back(bin.parent_path() / "console");
    candidates.push_back(bin.parent_path() / "share" / "vigie" / "console");
  }
#ifdef VIGIE_CONSOLE_SOURCE_DIR
  candidates.emplace_back(VIGIE_CONSOLE_SOURCE_DIR);
#endif
  candidates.emplace_back("/usr/share/vigie/console");
  for (const auto& dir : candidates) {
    if (fs::is_regular_file(dir / "index.html", ec)) return fs::weakly_canonical(dir, ec).string();
  }
  return {};
}

int run_node_in_foreground(const config::Config& given, engine::NodeOptions options,
                           RunLoopOptions loop) {
  config::Config config = given;
  if (config.api.console_dir.empty()) config.api.console_dir = default_console_dir();
  auto node = engine::Node::open(config, std::move(options));
  if (!node.is_ok()) {
    std::fprintf(stderr, "not started: %s\n", node.status().to_string().c_str());
    return node.status().code() == StatusCode::kInvalidArgument ? 2 : 1;
  }
  if (Status s = (*node)->start(); !s.is_ok()) {
    std::fprintf(stderr, "not started: %s\n", s.to_string().c_str());
    return 1;
  }
  if ((*node)->api_port() != 0) {
    const bool tls = !config.api.tls_cert.empty();
    const std::string host = config.api.listen == "0.0.0.0" || config.api.listen == "::"
                                 ? "127.0.0.1"
                                 : config.api.listen;
    std::printf("API: %s://%s:%d/\n", tls ? "https" : "http", host.c_str(),
                (*node)->api_port());
    if (!config.api.console_dir.empty()) {
      std::printf("console: %s://%s:%d/%s%s%s (files from %s)\n", tls ? "https" : "http",
                  host.c_str(), (*node)->api_port(), loop.console_login.empty() ? "" : " (",
                  loop.console_login.c_str(), loop.console_login.empty() ? "" : ")",
                  config.api.console_dir.c_str());
    } else {
      std::printf("console: not found (set api.console_dir or VIGIE_CONSOLE_DIR)\n");
    }
    std::fflush(stdout);
  }
  engine::Node& n = **node;
  if (n.api_port() != 0) {
    loop.ready_status = "API on port " + std::to_string(n.api_port());
  }
  loop.on_stop_signal = [&n] {
    if (Status s = n.governance().stop("signal", "", "SIGUSR1"); !s.is_ok()) {
      spdlog::error("global stop could not be journaled: {}", s.to_string());
    }
  };
  loop.on_reload_signal = [&n] {
    // Errors are logged by the node (nothing changed); SIGHUP has no one to answer.
    const engine::ReloadResult r = n.reload("signal");
    if (!r.status.is_ok() && r.errors.empty()) {
      spdlog::error("reload not applied: {}", r.status.to_string());
    }
  };
  const int rc = run_engine_in_foreground(n.engine(), loop);
  n.stop();
  return rc;
}

}  // namespace vigie::cli
