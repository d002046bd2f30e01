#pragma once
// The engine wires a configuration into running pipelines: one source and one pipeline per
// enabled camera, all driven by one Scheduler.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "engine/camera_analysis.hpp"
#include "engine/camera_pipeline.hpp"
#include "engine/detection_service.hpp"
#include "engine/scheduler.hpp"
#include "evidence/person_history.hpp"
#include "govern/governance.hpp"
#include "ingest/source.hpp"

namespace vigie::engine {

/// Makes the source of one camera (ingest::make_source in production, fakes in tests).
using SourceFactory =
    std::function<std::unique_ptr<ingest::Source>(ingest::SourceOptions, const Clock&)>;

struct EngineOptions {
  SourceFactory make_source;             ///< required
  std::size_t workers = 0;               ///< 0: one per core
  std::optional<ingest::Pacing> pacing;  ///< overrides each camera's input.realtime (eval: fast)
  FrameObserver on_frame;                ///< optional: sees every analysed frame
  /// Receives raised, updated and ended alerts, from worker threads (must be thread-safe).
  rules::AlertSink on_alert;
  bool analyse = true;           ///< false: ingest only (benchmarks of decoding)
  /// Asked before each frame is analysed: outside a permit the frame is dropped unanalysed,
  /// and only the permitted event types are evaluated. Empty: everything is allowed
  /// (evaluation on recorded clips).
  std::function<govern::Permit(const CameraId&)> permit;
  /// Receives, after each analysed frame, what to hide in it (CameraAnalysis::privacy()),
  /// for the images that leave the node. From worker threads.
  std::function<void(const CameraId&, const evidence::TimedBoxes&)> on_persons;
  const Clock* clock = nullptr;  ///< null: the system clock
  /// The object detector shared by the cameras. Null: made from the configuration's
  /// `detector` section when it has one (Engine::create fails, naming the file, when the
  /// model does not load); none without it.
  std::shared_ptr<DetectionService> detection;
  /// false: start() starts no camera; each is started and stopped by start_camera() and
  /// stop_camera() (nodes sharing cameras through leases).
  bool start_all = true;
};

/// Source options for one camera, from its configuration.
ingest::SourceOptions source_options(const config::CameraConfig& camera,
                                     std::optional<ingest::Pacing> pacing_override = {});

/// What a new configuration does to one camera.
enum class CameraChange {
  kUnchanged,        ///< left alone: its input and analysis keep running, no frame lost
  kAdded,            ///< opened and analysed from the start
  kRemoved,          ///< stopped and forgotten (its packet ring stays, for evidence)
  kInputChanged,     ///< url, input, analysis rate or size, or enabled changed: reopened
  kAnalysisChanged,  ///< zones, lines, rules, masks, calibration...: analysis replaced
};
std::string_view to_string(CameraChange change);

/// How a camera goes from `before` to `after` (either null when absent).
CameraChange classify_change(const config::CameraConfig* before, const config::CameraConfig* after);

/// Called once a camera's previous analysis will report nothing more (its open situations
/// are nobody's now): on the camera's worker for an analysis replaced between two frames, on
/// the caller's thread for a camera stopped. Must be thread-safe.
using AnalysisRetired = std::function<void(const CameraId&, CameraChange)>;

class Engine {
 public:
  /// Builds one pipeline per enabled camera of `config`, nothing started. InvalidArgument
  /// when `options.make_source` is empty; the detector's error (InvalidArgument naming the
  /// model file) when the configuration's `detector` section is used and its model does not
  /// load.
  static Result<std::unique_ptr<Engine>> create(const config::Config& config,
                                                EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  /// Starts the workers and, with EngineOptions::start_all, every enabled camera. Called once.
  void start();
  /// Starts one enabled camera after start(), while the others run: its input is opened
  /// again and its analysis starts afresh. Starting a running camera is not an error.
  /// NotFound for an unknown camera; FailedPrecondition for a disabled one or before start().
  /// Thread-safe (not from a worker).
  Status start_camera(const CameraId& camera);
  /// Stops one camera between two of its frames (a frame being analysed is finished first),
  /// without disturbing the others; `why` is its status' reason until it starts again. Its
  /// packet ring stays readable (evidence of alerts it raised). Thread-safe (not from a
  /// worker). NotFound for an unknown camera.
  Status stop_camera(const CameraId& camera, const std::string& why);
  /// A supervisor accepts a camera's changed view: it becomes the reference at the camera's
  /// next frame, and its rules run again. NotFound for an unknown camera; FailedPrecondition
  /// when its view has not changed. Thread-safe. Returns the problem that was accepted.
  Result<perceive::ViewProblem> accept_view(const CameraId& camera);
  /// Whether a camera's input is running now (started and not stopped).
  [[nodiscard]] bool camera_running(const CameraId& camera) const;
  /// Stops all cameras and workers; returns when every thread is joined. Idempotent.
  void stop();

  /// One status per configured camera, in configuration order (disabled ones: stopped).
  [[nodiscard]] std::vector<CameraStatus> status() const;
  /// Stage times of every camera's analysis, summed. Call after stop().
  [[nodiscard]] StageTimes stage_times() const;
  /// The compressed packet ring of an enabled camera, for evidence; null for unknown ids.
  [[nodiscard]] const ingest::PacketRing* ring(const CameraId& camera) const;
  /// True when every enabled camera's source has finished for good (files played out).
  [[nodiscard]] bool finished() const;
  /// Whether analysis makes progress (Scheduler::health), for the service watchdog.
  /// Thread-safe.
  [[nodiscard]] SchedulerHealth analysis_health(Scheduler::SteadyTime now,
                                                double stuck_after_s) const {
    return scheduler_->health(now, stuck_after_s);
  }
  /// Cameras waiting for an analysis worker now. Thread-safe.
  [[nodiscard]] std::size_t analysis_queue_depth() const { return scheduler_->queue_depth(); }
  /// The detector in use, or null.
  [[nodiscard]] const DetectionService* detection() const { return options_.detection.get(); }

  /// Replaces the analysis of a running camera by one built from `camera` (same id; its
  /// geometry and rules are what changes: the input is not reopened). The new analysis takes
  /// over at the start of the camera's next frame, on the worker that analyses it, and starts
  /// afresh (background and tracks are learnt again). A disabled camera only has its
  /// configuration changed. Thread-safe. NotFound for an unknown camera; FailedPrecondition
  /// when the engine does not analyse.
  Status update_camera(const config::CameraConfig& camera);
  /// As update_camera; `retired` is called (on the worker) once the old analysis is gone.
  Status update_camera(const config::CameraConfig& camera, std::function<void()> retired);
  /// The configuration a camera runs with now (after update_camera), or nullopt for an
  /// unknown id. Thread-safe.
  [[nodiscard]] std::optional<config::CameraConfig> camera_config(const CameraId& camera) const;

  /// Applies a new configuration's cameras while the others run (a reload): cameras added
  /// are started, removed ones stopped, those whose input changed reopened, those whose
  /// geometry or rules changed get a new analysis at their next frame, and unchanged ones are
  /// not touched. `retired` hears of each camera whose previous analysis is gone. The other
  /// sections of `next` only become the configuration whose version alerts carry. Returns
  /// each camera's change, in `next`'s order then the removed ones. Thread-safe (not from a
  /// worker).
  std::vector<std::pair<CameraId, CameraChange>> reconfigure(const config::Config& next,
                                                             const AnalysisRetired& retired);

 private:
  /// The analysis of one enabled camera, and the one waiting to replace it.
  struct AnalysisSlot {
    CameraId camera;
    std::unique_ptr<CameraAnalysis> current;  // touched by the camera's worker only
    StageTimes retired;                       // of analyses replaced so far (worker only)
    std::mutex mutex;
    std::unique_ptr<CameraAnalysis> pending;  // guarded by mutex
    std::function<void()> on_retired;         // guarded by mutex; called after the swap
    perceive::ViewState view;                 // guarded by mutex: the analysis' after a frame
    std::atomic<bool> accept_view{false};     // asked by a supervisor, done by the worker
    /// Swaps in the pending analysis, if any; called by the worker before each frame.
    void take_pending();
  };

  /// An enabled camera's input: the pipeline now (kept after a stop, for its ring and
  /// status), whether it runs, and the pipelines of earlier runs (their rings may still be
  /// read for evidence: kept until the engine goes).
  struct Run {
    std::shared_ptr<const config::CameraConfig> camera;
    AnalysisSlot* analysis = nullptr;  // null when the engine does not analyse
    std::unique_ptr<CameraPipeline> pipeline;
    std::optional<Scheduler::TaskId> task;  // while running
    bool ever_started = false;
    std::string stopped_why;
    std::vector<std::unique_ptr<CameraPipeline>> retired;
  };

  /// `options` complete: a source factory, and the detector if there is one.
  Engine(const config::Config& config, EngineOptions options);

  FrameObserver make_observer(AnalysisSlot* slot) const;
  std::unique_ptr<CameraAnalysis> make_analysis(const config::CameraConfig& camera);
  void start_run(Run& run);
  Run* find_run(const CameraId& camera);
  const Run* find_run(const CameraId& camera) const;
  /// Builds the run of an enabled camera (not started). Caller holds runs_mutex_.
  Run& add_run(const config::CameraConfig& camera);
  /// Stops a camera's run and keeps it aside (its ring may still be read). Returns whether
  /// it was running. Caller holds runs_mutex_.
  bool retire_run(const CameraId& camera, const std::string& why);

  EngineOptions options_;  // set by the constructor, then only read
  const Clock& clock_;
  std::unique_ptr<Scheduler> scheduler_;  // built by the constructor; thread-safe itself
  mutable std::mutex config_mutex_;  // guards config_ (the running configuration, for its version)
  config::Config config_;
  /// Enabled cameras only, and those removed or reopened since (kept for their stage times
  /// and rings). Guarded by runs_mutex_, like each Run's members.
  std::vector<std::unique_ptr<AnalysisSlot>> analyses_;
  std::vector<std::unique_ptr<AnalysisSlot>> retired_analyses_;
  std::vector<std::unique_ptr<Run>> runs_;
  std::vector<std::unique_ptr<Run>> retired_runs_;
  mutable std::mutex runs_mutex_;
  bool started_ = false;  // guarded by runs_mutex_
  bool stopped_ = false;  // guarded by runs_mutex_
};

}  // namespace vigie::engine
