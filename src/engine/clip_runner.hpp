#pragma once
// Runs the engine over recorded clips as fast as analysis allows, and collects every alert
// of every clip: the core of `vigie eval` and `vigie bench`.

#include <functional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/alert.hpp"
#include "core/health.hpp"
#include "engine/camera_analysis.hpp"
#include "engine/detection_service.hpp"
#include "evidence/person_history.hpp"

namespace vigie::engine {

/// One clip to run: its camera configuration (url = the video).
struct ClipJob {
  config::CameraConfig camera;
};

/// An alert as the clip saw it: raised at start_s, last updated at end_s.
struct ClipAlertRecord {
  Alert alert;       ///< as raised
  double end_s = 0;  ///< stream time of its last update or end
};

struct ClipRun {
  std::vector<ClipAlertRecord> alerts;
  CameraHealth health;  ///< at the end: frames decoded and analysed, state and reason
  /// What each analysed frame hid, in order (only with ClipRunOptions::keep_privacy).
  std::vector<evidence::TimedBoxes> privacy;
};

struct ClipRunOptions {
  std::size_t workers = 0;      ///< 0: one per core
  std::size_t concurrent = 16;  ///< clips open at once
  /// Called after each clip finishes, with the number done so far (progress bars).
  std::function<void(std::size_t done, std::size_t total, const std::string& name)> on_done;
  /// The object detector every clip uses; null: none.
  std::shared_ptr<DetectionService> detection;
  /// Keeps what each analysed frame hid (ClipRun::privacy), for the leak measure.
  bool keep_privacy = false;
};

struct ClipRuns {
  std::vector<ClipRun> clips;  ///< in the order of the jobs
  StageTimes stages;           ///< analysis cost, summed over all clips
  std::optional<DetectionStats> detector;  ///< with a detector: what it did
};

/// Runs every clip to its end. Fails only when an engine cannot be built for the clips
/// (Engine::create's errors).
Result<ClipRuns> run_clips(const std::vector<ClipJob>& jobs, const ClipRunOptions& options = {});

}  // namespace vigie::engine
