#include "cli/run_loop.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <memory>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/iso_time.hpp"
#include "engine/status_table.hpp"

namespace vigie::cli {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) {
  g_signal.store(sig);
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
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  auto next_print = started + std::chrono::duration<double>(options.status_interval_s);
  engine.start();
  while (true) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto now = Clock::now();
    if (g_signal != 0) {
      spdlog::info("signal {} received: stopping", g_signal.load());
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
  engine.stop();
  const auto final_status = engine.status();
  std::printf("\n%s", engine::format_status_table(final_status).c_str());
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  const bool all_failed = !final_status.empty() &&
                          std::all_of(final_status.begin(), final_status.end(), [](const auto& s) {
                            return s.health.state == CameraState::kFailed;
                          });
  return all_failed ? 1 : 0;
}

}  // namespace vigie::cli
