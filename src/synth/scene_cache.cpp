#include "synth/scene_cache.hpp"

#include <atomic>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <thread>

#include "core/worker.hpp"
#include "synth/scenario.hpp"

namespace vigie::synth {
namespace fs = std::filesystem;
namespace {

constexpr const char* kVersionFile = "renderer-version";

bool is_rendered(const fs::path& dir) {
  std::ifstream version(dir / kVersionFile);
  int v = 0;
  version >> v;
  return v == kRendererVersion && fs::exists(dir / "video.mp4") && fs::exists(dir / "truth.json") &&
         fs::exists(dir / "camera.yaml");
}

Status render_one(const SceneRequest& r) {
  const fs::path tmp = r.dir.string() + ".partial";
  std::error_code ec;
  fs::remove_all(tmp, ec);
  const auto rendered = render_scenario(r.scenario, r.seed, tmp);
  if (!rendered.is_ok()) return rendered.status();
  std::ofstream(tmp / kVersionFile) << kRendererVersion << "\n";
  fs::remove_all(r.dir, ec);
  fs::create_directories(r.dir.parent_path(), ec);
  fs::rename(tmp, r.dir, ec);
  if (ec) return {StatusCode::kInternal, "cannot move " + tmp.string() + ": " + ec.message()};
  return Status::ok();
}

}  // namespace

Status ensure_scenes(const std::vector<SceneRequest>& requests, std::size_t workers) {
  std::vector<const SceneRequest*> todo;
  for (const auto& r : requests) {
    if (!is_rendered(r.dir)) todo.push_back(&r);
  }
  if (todo.empty()) return Status::ok();
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  std::atomic<std::size_t> next{0};
  std::mutex mutex;
  Status first_error;
  std::vector<Worker> threads;
  for (std::size_t w = 0; w < std::min(workers, todo.size()); ++w) {
    // Each takes scenes from the list until it is done; a stop is never asked.
    threads.emplace_back("vigie-render", [&](const std::stop_token&) {
      for (std::size_t i = next++; i < todo.size(); i = next++) {
        {
          std::lock_guard lock(mutex);
          if (!first_error.is_ok()) return;
          std::printf("rendering scenario %s (seed %llu) into %s ...\n", todo[i]->scenario.c_str(),
                      static_cast<unsigned long long>(todo[i]->seed), todo[i]->dir.c_str());
          std::fflush(stdout);
        }
        Status s = render_one(*todo[i]);
        if (!s.is_ok()) {
          std::lock_guard lock(mutex);
          if (first_error.is_ok()) first_error = s;
        }
      }
    });
  }
  threads.clear();  // joins
  return first_error;
}

}  // namespace vigie::synth
