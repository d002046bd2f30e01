#pragma once
// One camera's pipeline: source -> analysis. Driven by the Scheduler as a Task.

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/frame.hpp"
#include "core/health.hpp"
#include "core/prometheus.hpp"
#include "engine/scheduler.hpp"
#include "ingest/source.hpp"
#include "perceive/view_check.hpp"

namespace vigie::engine {

/// Called with each analysed frame, on a worker thread (never twice at once per camera).
using FrameObserver = std::function<void(const config::CameraConfig&, const Frame&)>;

/// Health of a camera as the engine sees it: the source's state and counters, plus analysis.
struct CameraStatus {
  CameraId id;
  std::string name;
  CameraHealth health;
  double analysed_fps = 0.0;  ///< over the last two seconds
  double analysis_ms = 0.0;   ///< mean time per analysed frame over the last two seconds
  HistogramSnapshot analysis_seconds;  ///< every analysed frame's analysis time, since start
  bool finished = false;      ///< the source has finished for good
  bool analysing = true;      ///< false: stopped, or outside any authorization
  std::string not_analysed_reason;
  /// Whether the camera still sees the view its rules were set up on (health.state is
  /// kViewChanged while it does not and the stream is live).
  perceive::ViewState view;
};

class CameraPipeline final : public Task {
 public:
  CameraPipeline(std::shared_ptr<const config::CameraConfig> camera,
                 std::unique_ptr<ingest::Source> source, FrameObserver observer,
                 const Clock& clock);

  /// Starts the source; `wake` is called when the pipeline has work.
  void start(std::function<void()> wake);
  /// Stops the source (cancels its I/O) and joins it.
  void stop();

  StepOutcome step() override;

  [[nodiscard]] CameraStatus status() const;
  [[nodiscard]] const config::CameraConfig& camera() const { return *camera_; }
  /// The source's packet ring, for evidence clips.
  [[nodiscard]] const ingest::PacketRing& ring() const { return source_->ring(); }
  /// True once the source has finished for good (a file played out, or a permanent failure).
  [[nodiscard]] bool done() const { return done_.load(); }

 private:
  std::shared_ptr<const config::CameraConfig> camera_;
  std::unique_ptr<ingest::Source> source_;
  FrameObserver observer_;
  const Clock& clock_;

  mutable std::mutex mutex_;
  std::atomic<bool> done_{false};
  /// (time, analysis ms) of recent frames, for the rates in status().
  std::deque<std::pair<SteadyTime, double>> recent_;
  Histogram analysis_seconds_{seconds_buckets()};
};

}  // namespace vigie::engine
