#include "cli/run_loop.hpp"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "core/iso_time.hpp"
#include "engine/status_table.hpp"

namespace vigie::cli {
namespace {

std::atomic<int> g_signal{0};

extern "C" void on_signal(int sig) { g_signal.store(sig); }

}  // namespace

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
  const bool all_failed =
      !final_status.empty() && std::all_of(final_status.begin(), final_status.end(), [](const auto& s) {
        return s.health.state == CameraState::kFailed;
      });
  return all_failed ? 1 : 0;
}

}  // namespace vigie::cli
