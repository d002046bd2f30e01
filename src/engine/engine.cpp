#include "engine/engine.hpp"

#include <algorithm>
#include <thread>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "config/loader.hpp"
#include "config/to_json.hpp"
#include "core/redact.hpp"

namespace vigie::engine {

ingest::SourceOptions source_options(const config::CameraConfig& c,
                                     std::optional<ingest::Pacing> pacing_override) {
  ingest::SourceOptions o;
  o.camera = c.id;
  o.url = c.url;
  o.rtsp_transport = c.input.rtsp_transport == config::RtspTransport::kTcp
                         ? ingest::Transport::kTcp
                         : ingest::Transport::kUdp;
  o.connect_timeout_s = c.input.connect_timeout_s;
  o.read_timeout_s = c.input.read_timeout_s;
  o.stall_after_s = c.input.stall_after_s;
  o.pacing = pacing_override.value_or(c.input.realtime ? ingest::Pacing::kRealtime
                                                       : ingest::Pacing::kAsFastAsPossible);
  o.loop = c.input.loop;
  o.skip_loop_filter = c.input.skip_loop_filter;
  o.skip_non_reference = c.input.skip_non_reference;
  o.hwaccel = c.input.hwaccel;
  o.analysis_fps = c.analysis.fps;
  o.analysis_width = c.analysis.width;
  o.ring_seconds = c.input.ring_seconds;
  o.backoff_max_s = c.input.backoff_max_s;
  o.queue_packets = c.input.queue_packets;
  return o;
}

std::string_view to_string(CameraChange change) {
  switch (change) {
    case CameraChange::kUnchanged: return "unchanged";
    case CameraChange::kAdded: return "added";
    case CameraChange::kRemoved: return "removed";
    case CameraChange::kInputChanged: return "input_changed";
    case CameraChange::kAnalysisChanged: return "analysis_changed";
  }
  return "unchanged";
}

CameraChange classify_change(const config::CameraConfig* before,
                             const config::CameraConfig* after) {
  if (before == nullptr) return after == nullptr ? CameraChange::kUnchanged : CameraChange::kAdded;
  if (after == nullptr) return CameraChange::kRemoved;
  nlohmann::json b = config::to_json(*before, false);
  nlohmann::json a = config::to_json(*after, false);
  if (b == a) return CameraChange::kUnchanged;
  // What the source is built from: a change there reopens the input.
  for (const char* key : {"url", "enabled", "input", "analysis"}) {
    if (b[key] != a[key]) return CameraChange::kInputChanged;
  }
  return CameraChange::kAnalysisChanged;
}

Result<std::unique_ptr<Engine>> Engine::create(const config::Config& config,
                                               EngineOptions options) {
  if (!options.make_source) {
    return invalid_argument("engine: no source factory (EngineOptions.make_source is empty)");
  }
  if (!options.detection && config.detector && options.analyse) {
    const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
    VIGIE_ASSIGN_OR_RETURN(options.detection, make_detection_service(*config.detector, clock));
  }
  return std::unique_ptr<Engine>(new Engine(config, std::move(options)));
}

Engine::Engine(const config::Config& config, EngineOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::instance()),
      config_(config) {
  std::size_t workers = options_.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  scheduler_ = std::make_unique<Scheduler>(workers);
  std::lock_guard lock(runs_mutex_);
  for (const auto& camera : config.cameras) {
    if (camera.enabled) add_run(camera);
  }
}

Engine::Run& Engine::add_run(const config::CameraConfig& c) {
  auto camera = std::make_shared<const config::CameraConfig>(c);
  auto run = std::make_unique<Run>();
  run->camera = camera;
  if (options_.analyse) {
    auto slot = std::make_unique<AnalysisSlot>();
    slot->camera = camera->id;
    slot->current = make_analysis(*camera);
    run->analysis = slot.get();
    analyses_.push_back(std::move(slot));
  }
  run->pipeline = std::make_unique<CameraPipeline>(
      camera, options_.make_source(source_options(*camera, options_.pacing), clock_),
      make_observer(run->analysis), clock_);
  run->stopped_why = "not started";
  runs_.push_back(std::move(run));
  return *runs_.back();
}

bool Engine::retire_run(const CameraId& camera, const std::string& why) {
  auto it = std::find_if(runs_.begin(), runs_.end(),
                         [&](const auto& r) { return r->camera->id == camera; });
  if (it == runs_.end()) return false;
  Run& run = **it;
  const bool was_running = run.task.has_value();
  if (was_running) {
    // Out of the schedule first (waiting for a frame in progress), then the input.
    scheduler_->remove(*run.task);
    run.task.reset();
    run.pipeline->stop();
    spdlog::info("camera {}: stopped ({})", camera, why);
  }
  run.stopped_why = why;
  if (run.analysis != nullptr) {
    auto slot = std::find_if(analyses_.begin(), analyses_.end(),
                             [&](const auto& a) { return a.get() == run.analysis; });
    if (slot != analyses_.end()) {
      retired_analyses_.push_back(std::move(*slot));
      analyses_.erase(slot);
    }
  }
  retired_runs_.push_back(std::move(*it));
  runs_.erase(it);
  return was_running;
}

FrameObserver Engine::make_observer(AnalysisSlot* s) const {
  if (s == nullptr) return options_.on_frame;
  return [this, s](const config::CameraConfig& c, const Frame& f) {
    s->take_pending();
    CameraAnalysis* analysis = s->current.get();
    if (s->accept_view.exchange(false)) analysis->accept_view();
    if (options_.permit) {
      const govern::Permit permit = options_.permit(c.id);
      if (!permit.analyse) return;  // stopped or unauthorised: not analysed at all
      analysis->process(f, &permit.event_types);
    } else {
      analysis->process(f);
    }
    {
      // An accept that came while this frame was analysed is applied at the next frame; until
      // then the view stays as the accept left it (healthy), not this frame's stale verdict.
      std::lock_guard lock(s->mutex);
      if (!s->accept_view.load()) s->view = analysis->view();
    }
    if (options_.on_persons) options_.on_persons(c.id, analysis->privacy());
    if (options_.on_frame) options_.on_frame(c, f);
  };
}

std::unique_ptr<CameraAnalysis> Engine::make_analysis(const config::CameraConfig& camera) {
  std::string version;
  {
    std::lock_guard lock(config_mutex_);
    version = config::config_version(config_);
  }
  rules::AlertSink sink = options_.on_alert ? options_.on_alert : [](const Alert&, AlertChange) {};
  return std::make_unique<CameraAnalysis>(std::make_shared<const config::CameraConfig>(camera),
                                          version, std::move(sink), options_.detection);
}

Engine::~Engine() {
  stop();
}

void Engine::start_run(Run& run) {
  run.task = scheduler_->add(*run.pipeline);
  const Scheduler::TaskId id = *run.task;
  run.pipeline->start([this, id] { scheduler_->wake(id); });
  run.ever_started = true;
  run.stopped_why.clear();
  spdlog::info("camera {}: started ({})", run.camera->id, redact_url(run.camera->url));
}

void Engine::start() {
  std::lock_guard lock(runs_mutex_);
  if (started_) return;
  started_ = true;
  if (!options_.start_all) return;
  for (auto& run : runs_) start_run(*run);
}

Engine::Run* Engine::find_run(const CameraId& camera) {
  for (auto& r : runs_) {
    if (r->camera->id == camera) return r.get();
  }
  return nullptr;
}

const Engine::Run* Engine::find_run(const CameraId& camera) const {
  for (const auto& r : runs_) {
    if (r->camera->id == camera) return r.get();
  }
  return nullptr;
}

Status Engine::start_camera(const CameraId& camera) {
  std::lock_guard lock(runs_mutex_);
  Run* run = find_run(camera);
  if (run == nullptr) {
    if (camera_config(camera)) {
      return Status(StatusCode::kFailedPrecondition, "camera " + camera + " is disabled");
    }
    return not_found("no camera '" + camera + "'");
  }
  if (!started_ || stopped_) {
    return Status(StatusCode::kFailedPrecondition, "the engine is not running");
  }
  if (run->task) return Status::ok();
  if (run->ever_started) {
    // A source is started once: a new run opens the input again, with the configuration in
    // force now, and a fresh analysis (the frames between are missing).
    const auto now = camera_config(camera);
    auto config = std::make_shared<const config::CameraConfig>(now ? *now : *run->camera);
    if (run->analysis != nullptr) {
      auto fresh = make_analysis(*config);
      std::lock_guard pending(run->analysis->mutex);
      run->analysis->pending = std::move(fresh);
    }
    run->retired.push_back(std::move(run->pipeline));
    run->pipeline = std::make_unique<CameraPipeline>(
        config, options_.make_source(source_options(*config, options_.pacing), clock_),
        make_observer(run->analysis), clock_);
  }
  start_run(*run);
  return Status::ok();
}

Status Engine::stop_camera(const CameraId& camera, const std::string& why) {
  std::lock_guard lock(runs_mutex_);
  Run* run = find_run(camera);
  if (run == nullptr) {
    return camera_config(camera) ? Status::ok() : not_found("no camera '" + camera + "'");
  }
  run->stopped_why = why;
  if (!run->task) return Status::ok();
  // Out of the schedule first (waiting for a frame in progress), then the input.
  scheduler_->remove(*run->task);
  run->task.reset();
  run->pipeline->stop();
  spdlog::info("camera {}: stopped ({})", camera, why);
  return Status::ok();
}

Result<perceive::ViewProblem> Engine::accept_view(const CameraId& camera) {
  std::lock_guard lock(runs_mutex_);
  Run* run = find_run(camera);
  if (run == nullptr || run->analysis == nullptr)
    return not_found("no camera '" + camera + "' analysed here");
  std::lock_guard view_lock(run->analysis->mutex);
  if (!run->analysis->view.changed) {
    return Status(StatusCode::kFailedPrecondition,
                  "the view of camera " + camera + " has not changed");
  }
  run->analysis->accept_view = true;
  const perceive::ViewProblem accepted = run->analysis->view.problem;
  // Shown healthy at once; the worker takes the new reference at the next frame.
  run->analysis->view = {};
  return accepted;
}

bool Engine::camera_running(const CameraId& camera) const {
  std::lock_guard lock(runs_mutex_);
  const Run* run = find_run(camera);
  return run != nullptr && run->task.has_value();
}

void Engine::stop() {
  std::lock_guard lock(runs_mutex_);
  if (stopped_) return;
  stopped_ = true;
  // Sources first, so nothing wakes the scheduler after its workers are gone.
  for (auto& run : runs_) {
    if (run->task) run->pipeline->stop();
  }
  scheduler_->stop();
}

std::vector<CameraStatus> Engine::status() const {
  std::lock_guard lock(runs_mutex_);
  std::vector<CameraStatus> out;
  std::vector<config::CameraConfig> cameras;
  {
    std::lock_guard config_lock(config_mutex_);
    cameras = config_.cameras;
  }
  for (const auto& c : cameras) {
    const config::CameraConfig* camera = &c;
    const Run* run = camera->enabled ? find_run(camera->id) : nullptr;
    if (run != nullptr && (run->task || run->ever_started)) {
      out.push_back(run->pipeline->status());
      if (!run->task) {
        out.back().health.state = CameraState::kStopped;
        out.back().health.reason = run->stopped_why;
        out.back().analysed_fps = 0;
        out.back().analysing = false;
        out.back().not_analysed_reason = run->stopped_why;
        continue;
      }
      if (options_.permit) {
        const govern::Permit permit = options_.permit(camera->id);
        out.back().analysing = permit.analyse;
        out.back().not_analysed_reason = permit.why_not;
      }
      if (run->analysis != nullptr) {
        std::lock_guard view_lock(run->analysis->mutex);
        out.back().view = run->analysis->view;
      }
      const perceive::ViewState& view = out.back().view;
      if (view.changed && out.back().health.state == CameraState::kLive) {
        out.back().health.state = CameraState::kViewChanged;
        out.back().health.reason = fmt::format(
            "view {} (at {:.0f} s of the stream): rules suspended until it returns or a "
            "supervisor accepts it",
            perceive::to_string(view.problem), view.since_s);
      }
      continue;
    }
    CameraStatus s;
    s.id = camera->id;
    s.name = camera->name;
    s.health.state = CameraState::kStopped;
    s.health.reason = run != nullptr ? run->stopped_why : "disabled in configuration";
    s.analysing = false;
    s.not_analysed_reason = s.health.reason;
    out.push_back(std::move(s));
  }
  return out;
}

StageTimes Engine::stage_times() const {
  std::lock_guard lock(runs_mutex_);
  StageTimes total;
  for (const auto* list : {&analyses_, &retired_analyses_}) {
    for (const auto& a : *list) {
      total += a->retired;
      total += a->current->stage_times();
    }
  }
  return total;
}

std::optional<config::CameraConfig> Engine::camera_config(const CameraId& camera) const {
  std::lock_guard lock(config_mutex_);
  for (const auto& c : config_.cameras) {
    if (c.id == camera) return c;
  }
  return std::nullopt;
}

void Engine::AnalysisSlot::take_pending() {
  std::unique_ptr<CameraAnalysis> next;
  std::function<void()> retired_hook;
  {
    std::lock_guard lock(mutex);
    next = std::move(pending);
    retired_hook = std::move(on_retired);
    on_retired = nullptr;
  }
  if (!next) return;
  retired += current->stage_times();
  current = std::move(next);  // the old analysis is destroyed here, on the worker
  spdlog::info("camera {}: analysis replaced (geometry or rules changed)", camera);
  if (retired_hook) retired_hook();
}

Status Engine::update_camera(const config::CameraConfig& camera) {
  return update_camera(camera, nullptr);
}

Status Engine::update_camera(const config::CameraConfig& camera, std::function<void()> retired) {
  if (!options_.analyse) {
    return Status(StatusCode::kFailedPrecondition, "this engine does not analyse");
  }
  std::lock_guard runs_lock(runs_mutex_);
  {
    std::lock_guard lock(config_mutex_);
    auto it = std::find_if(config_.cameras.begin(), config_.cameras.end(),
                           [&](const config::CameraConfig& c) { return c.id == camera.id; });
    if (it == config_.cameras.end()) return not_found("no camera '" + camera.id + "'");
    *it = camera;
  }
  Run* run = find_run(camera.id);
  if (run == nullptr || run->analysis == nullptr) {
    if (retired) retired();  // disabled: nothing ran
    return Status::ok();
  }
  auto next = make_analysis(camera);
  {
    std::lock_guard lock(run->analysis->mutex);
    run->analysis->pending = std::move(next);
    run->analysis->on_retired = std::move(retired);
  }
  // Not scheduled: no worker touches the analysis, so it is replaced now.
  if (!run->task) run->analysis->take_pending();
  return Status::ok();
}

std::vector<std::pair<CameraId, CameraChange>> Engine::reconfigure(const config::Config& next,
                                                                   const AnalysisRetired& retired) {
  std::vector<std::pair<CameraId, CameraChange>> changes;
  std::lock_guard runs_lock(runs_mutex_);
  std::vector<config::CameraConfig> before;
  {
    std::lock_guard lock(config_mutex_);
    before = config_.cameras;
    // The new configuration's version is what the analyses built from now on carry.
    config_ = next;
  }
  auto find = [](const std::vector<config::CameraConfig>& list,
                 const CameraId& id) -> const config::CameraConfig* {
    for (const auto& c : list) {
      if (c.id == id) return &c;
    }
    return nullptr;
  };
  const bool running = started_ && !stopped_;
  for (const auto& after : next.cameras) {
    const config::CameraConfig* was = find(before, after.id);
    const CameraChange change = classify_change(was, &after);
    changes.emplace_back(after.id, change);
    switch (change) {
      case CameraChange::kUnchanged: break;
      case CameraChange::kAnalysisChanged: {
        Run* run = find_run(after.id);
        if (run == nullptr || run->analysis == nullptr) break;
        run->camera = std::make_shared<const config::CameraConfig>(after);
        auto fresh = make_analysis(after);
        const CameraId id = after.id;
        std::lock_guard lock(run->analysis->mutex);
        run->analysis->pending = std::move(fresh);
        run->analysis->on_retired = [retired, id] {
          if (retired) retired(id, CameraChange::kAnalysisChanged);
        };
        break;
      }
      case CameraChange::kAdded:
      case CameraChange::kInputChanged:
      case CameraChange::kRemoved: {
        bool was_running = false;
        if (was != nullptr) {
          was_running = retire_run(after.id, after.enabled ? "reopened with a new configuration"
                                                           : "disabled in configuration");
          if (retired) retired(after.id, change);
        }
        if (!after.enabled) break;
        Run& run = add_run(after);
        // Nodes that lease cameras start a camera where its lease is: a reopened camera runs
        // again if it ran; with start_all, every enabled camera runs.
        if (running && (options_.start_all || was_running)) start_run(run);
        break;
      }
    }
  }
  for (const auto& was : before) {
    if (find(next.cameras, was.id) != nullptr) continue;
    changes.emplace_back(was.id, CameraChange::kRemoved);
    retire_run(was.id, "removed from the configuration");
    if (retired) retired(was.id, CameraChange::kRemoved);
  }
  // Analyses not scheduled now get their replacement at once: no worker touches them.
  for (auto& run : runs_) {
    if (!run->task && run->analysis != nullptr) run->analysis->take_pending();
  }
  return changes;
}

const ingest::PacketRing* Engine::ring(const CameraId& camera) const {
  std::lock_guard lock(runs_mutex_);
  const Run* run = find_run(camera);
  return run != nullptr ? &run->pipeline->ring() : nullptr;
}

bool Engine::finished() const {
  std::lock_guard lock(runs_mutex_);
  return std::all_of(runs_.begin(), runs_.end(),
                     [](const auto& r) { return r->pipeline->done(); });
}

}  // namespace vigie::engine
