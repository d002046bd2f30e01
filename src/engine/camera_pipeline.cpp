#include "engine/camera_pipeline.hpp"

namespace vigie::engine {
namespace {
constexpr double kRateWindowS = 2.0;
}

CameraPipeline::CameraPipeline(std::shared_ptr<const config::CameraConfig> camera,
                               std::unique_ptr<ingest::Source> source, FrameObserver observer,
                               const Clock& clock)
    : camera_(std::move(camera)),
      source_(std::move(source)),
      observer_(std::move(observer)),
      clock_(clock) {}

void CameraPipeline::start(std::function<void()> wake) {
  source_->start(std::move(wake));
}

void CameraPipeline::stop() {
  source_->stop();
}

StepOutcome CameraPipeline::step() {
  Frame frame;
  switch (source_->step(frame)) {
    case ingest::StepResult::kIdle: return StepOutcome::kIdle;
    case ingest::StepResult::kEnded: done_ = true; return StepOutcome::kDone;
    case ingest::StepResult::kFrame: break;
  }
  const SteadyTime started = clock_.now();
  if (observer_) observer_(*camera_, frame);
  const SteadyTime finished = clock_.now();
  analysis_seconds_.observe(seconds_between(started, finished));
  std::lock_guard lock(mutex_);
  recent_.emplace_back(finished, seconds_between(started, finished) * 1000.0);
  while (!recent_.empty() && seconds_between(recent_.front().first, finished) > kRateWindowS) {
    recent_.pop_front();
  }
  // There may be more frames already decoded: let other cameras run first, then come back.
  return StepOutcome::kMore;
}

CameraStatus CameraPipeline::status() const {
  CameraStatus s;
  s.id = camera_->id;
  s.name = camera_->name;
  s.health = source_->health();
  s.finished = done_.load();
  s.analysis_seconds = analysis_seconds_.snapshot();
  const SteadyTime now = clock_.now();
  std::lock_guard lock(mutex_);
  double ms = 0;
  int n = 0;
  for (const auto& [t, cost] : recent_) {
    if (seconds_between(t, now) <= kRateWindowS) {
      ms += cost;
      ++n;
    }
  }
  s.analysed_fps = n / kRateWindowS;
  s.analysis_ms = n > 0 ? ms / n : 0.0;
  return s;
}

}  // namespace vigie::engine
