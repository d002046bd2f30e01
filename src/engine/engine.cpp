#include "engine/engine.hpp"

#include <algorithm>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "config/loader.hpp"
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
  o.analysis_fps = c.analysis.fps;
  o.analysis_width = c.analysis.width;
  o.ring_seconds = c.input.ring_seconds;
  o.backoff_max_s = c.input.backoff_max_s;
  o.queue_packets = c.input.queue_packets;
  return o;
}

Engine::Engine(const config::Config& config, EngineOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::instance()),
      config_(config) {
  if (!options_.make_source) throw std::invalid_argument("EngineOptions.make_source is required");
  for (const auto& c : config.cameras) {
    cameras_.push_back(std::make_shared<const config::CameraConfig>(c));
  }
  std::size_t workers = options_.workers;
  if (workers == 0) workers = std::max(1u, std::thread::hardware_concurrency());
  scheduler_ = std::make_unique<Scheduler>(workers);
  if (!options_.detection && config.detector && options_.analyse) {
    auto service = make_detection_service(*config.detector, clock_);
    if (!service.is_ok()) throw std::invalid_argument(service.status().message());
    options_.detection = std::move(*service);
  }
  const std::string version = config::config_version(config);
  for (const auto& camera : cameras_) {
    if (!camera->enabled) continue;
    FrameObserver observer = options_.on_frame;
    if (options_.analyse) {
      rules::AlertSink sink =
          options_.on_alert ? options_.on_alert : [](const Alert&, AlertChange) {};
      auto slot = std::make_unique<AnalysisSlot>();
      slot->camera = camera->id;
      slot->current = std::make_unique<CameraAnalysis>(camera, version, std::move(sink),
                                                       options_.detection);
      AnalysisSlot* s = slot.get();
      analyses_.push_back(std::move(slot));
      observer = [this, s](const config::CameraConfig& c, const Frame& f) {
        s->take_pending();
        CameraAnalysis* analysis = s->current.get();
        if (options_.permit) {
          const govern::Permit permit = options_.permit(c.id);
          if (!permit.analyse) return;  // stopped or unauthorised: not analysed at all
          analysis->process(f, &permit.event_types);
        } else {
          analysis->process(f);
        }
        if (options_.on_persons) options_.on_persons(c.id, analysis->privacy());
        if (options_.on_frame) options_.on_frame(c, f);
      };
    }
    pipelines_.push_back(std::make_unique<CameraPipeline>(
        camera, options_.make_source(source_options(*camera, options_.pacing), clock_),
        std::move(observer), clock_));
  }
}

Engine::~Engine() {
  stop();
}

void Engine::start() {
  if (started_) return;
  started_ = true;
  for (auto& p : pipelines_) {
    const Scheduler::TaskId id = scheduler_->add(*p);
    p->start([this, id] { scheduler_->wake(id); });
    spdlog::info("camera {}: started ({})", p->camera().id, redact_url(p->camera().url));
  }
}

void Engine::stop() {
  if (stopped_) return;
  stopped_ = true;
  // Sources first, so nothing wakes the scheduler after its workers are gone.
  for (auto& p : pipelines_) p->stop();
  scheduler_->stop();
}

std::vector<CameraStatus> Engine::status() const {
  std::vector<CameraStatus> out;
  auto it = pipelines_.begin();
  for (const auto& camera : cameras_) {
    if (camera->enabled && it != pipelines_.end()) {
      out.push_back((*it++)->status());
      if (options_.permit) {
        const govern::Permit permit = options_.permit(camera->id);
        out.back().analysing = permit.analyse;
        out.back().not_analysed_reason = permit.why_not;
      }
      continue;
    }
    CameraStatus s;
    s.id = camera->id;
    s.name = camera->name;
    s.health.state = CameraState::kStopped;
    s.health.reason = "disabled in configuration";
    out.push_back(std::move(s));
  }
  return out;
}

StageTimes Engine::stage_times() const {
  StageTimes total;
  for (const auto& a : analyses_) {
    total += a->retired;
    total += a->current->stage_times();
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
  {
    std::lock_guard lock(mutex);
    next = std::move(pending);
  }
  if (!next) return;
  retired += current->stage_times();
  current = std::move(next);  // the old analysis is destroyed here, on the worker
  spdlog::info("camera {}: analysis replaced (geometry or rules changed)", camera);
}

Status Engine::update_camera(const config::CameraConfig& camera) {
  if (!options_.analyse) {
    return Status(StatusCode::kFailedPrecondition, "this engine does not analyse");
  }
  std::string version;
  {
    std::lock_guard lock(config_mutex_);
    auto it = std::find_if(config_.cameras.begin(), config_.cameras.end(),
                           [&](const config::CameraConfig& c) { return c.id == camera.id; });
    if (it == config_.cameras.end()) return not_found("no camera '" + camera.id + "'");
    *it = camera;
    version = config::config_version(config_);
  }
  auto slot = std::find_if(analyses_.begin(), analyses_.end(),
                           [&](const auto& a) { return a->camera == camera.id; });
  if (slot == analyses_.end()) return Status::ok();  // disabled: nothing runs
  rules::AlertSink sink = options_.on_alert ? options_.on_alert : [](const Alert&, AlertChange) {};
  auto next = std::make_unique<CameraAnalysis>(
      std::make_shared<const config::CameraConfig>(camera), version, std::move(sink),
      options_.detection);
  std::lock_guard lock((*slot)->mutex);
  (*slot)->pending = std::move(next);
  return Status::ok();
}

const ingest::PacketRing* Engine::ring(const CameraId& camera) const {
  for (const auto& p : pipelines_) {
    if (p->camera().id == camera) return &p->ring();
  }
  return nullptr;
}

bool Engine::finished() const {
  return std::all_of(pipelines_.begin(), pipelines_.end(), [](const auto& p) { return p->done(); });
}

}  // namespace vigie::engine
