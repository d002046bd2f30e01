#include "engine/clip_runner.hpp"

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

#include "engine/engine.hpp"

namespace vigie::engine {

Result<ClipRuns> run_clips(const std::vector<ClipJob>& jobs, const ClipRunOptions& options) {
  ClipRuns result;
  std::vector<ClipRun>& runs = result.clips;
  runs.resize(jobs.size());
  std::size_t done = 0;
  for (std::size_t first = 0; first < jobs.size(); first += options.concurrent) {
    const std::size_t last =
        std::min(jobs.size(), first + std::max<std::size_t>(1, options.concurrent));
    config::Config config;
    for (std::size_t i = first; i < last; ++i) {
      config::CameraConfig camera = jobs[i].camera;
      camera.id = "clip-" + std::to_string(i);  // clips may share a camera id
      camera.enabled = true;
      camera.input.loop = false;
      config.cameras.push_back(std::move(camera));
    }
    std::mutex mutex;
    std::map<std::string, std::size_t> index_of_alert;  // alert id -> position in its clip
    EngineOptions engine_options;
    engine_options.make_source = ingest::make_source;
    engine_options.pacing = ingest::Pacing::kAsFastAsPossible;
    engine_options.workers = options.workers;
    engine_options.detection = options.detection;
    engine_options.on_alert = [&](const Alert& a, AlertChange change) {
      const std::size_t clip = std::stoul(a.camera.substr(5));
      std::lock_guard lock(mutex);
      auto& alerts = runs[clip].alerts;
      if (change == AlertChange::kRaised) {
        index_of_alert[a.id] = alerts.size();
        alerts.push_back({a, a.last_s});
        return;
      }
      if (auto it = index_of_alert.find(a.id); it != index_of_alert.end()) {
        alerts[it->second].end_s = a.last_s;
      }
    };
    if (options.keep_privacy) {
      engine_options.on_persons = [&](const CameraId& camera, const evidence::TimedBoxes& boxes) {
        const std::size_t clip = std::stoul(camera.substr(5));
        std::lock_guard lock(mutex);
        runs[clip].privacy.push_back(boxes);
      };
    }
    VIGIE_ASSIGN_OR_RETURN(const std::unique_ptr<Engine> built,
                           Engine::create(config, std::move(engine_options)));
    Engine& engine = *built;
    engine.start();
    std::vector<bool> reported(last - first, false);
    while (true) {
      const auto status = engine.status();
      for (std::size_t k = 0; k < status.size(); ++k) {
        if (status[k].finished && !reported[k]) {
          reported[k] = true;
          if (options.on_done) options.on_done(++done, jobs.size(), jobs[first + k].camera.name);
        }
      }
      if (engine.finished()) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    engine.stop();
    result.stages += engine.stage_times();
    const auto status = engine.status();
    for (std::size_t k = 0; k < status.size(); ++k) runs[first + k].health = status[k].health;
  }
  if (options.detection) result.detector = options.detection->stats();
  return result;
}

}  // namespace vigie::engine
