#include "ingest/health_tracker.hpp"

#include <chrono>

#include <spdlog/spdlog.h>

#include "core/redact.hpp"

namespace vigie::ingest {

void HealthTracker::set(CameraState state, std::string reason) {
  std::lock_guard lock(mutex_);
  if (final_) return;
  reason = redact(reason);
  if (state != state_) log_change_locked(state, reason);
  state_ = state;
  reason_ = std::move(reason);
}

void HealthTracker::log_change_locked(CameraState state, const std::string& reason) {
  // A camera that stays down cycles connecting -> failed on every retry: say so once per
  // distinct cause (the part before "; retrying ..."), the rest at debug level.
  const bool bad = state == CameraState::kStalled || state == CameraState::kFailed;
  if (bad) {
    std::string cause = reason.substr(0, reason.find("; "));
    if (cause != last_warned_cause_) {
      spdlog::warn("camera {}: {}: {}", camera_, to_string(state), reason);
      last_warned_cause_ = std::move(cause);
      return;
    }
  } else if (state != CameraState::kConnecting || last_warned_cause_.empty()) {
    if (state == CameraState::kLive) last_warned_cause_.clear();
    spdlog::info("camera {}: {}: {}", camera_, to_string(state), reason);
    return;
  }
  spdlog::debug("camera {}: {}: {}", camera_, to_string(state), reason);
}

void HealthTracker::set_final(CameraState state, std::string reason) {
  set(state, std::move(reason));
  std::lock_guard lock(mutex_);
  final_ = true;
}

void HealthTracker::mark_live(std::uint64_t session, const std::string& reason) {
  {
    std::lock_guard lock(mutex_);
    if (final_ || session != session_ || state_ == CameraState::kLive) return;
    if (state_ != CameraState::kConnecting) return;
  }
  set(CameraState::kLive, reason);
}

std::uint64_t HealthTracker::begin_session() {
  std::lock_guard lock(mutex_);
  return ++session_;
}

std::uint64_t HealthTracker::session() const {
  std::lock_guard lock(mutex_);
  return session_;
}

void HealthTracker::frame_decoded() {
  ++counters_.frames_decoded;
  const auto ms = unix_ms(clock_.wall_now());
  counters_.last_frame_unix_ms.store(ms);
}

CameraState HealthTracker::state() const {
  std::lock_guard lock(mutex_);
  return state_;
}

CameraHealth HealthTracker::health() const {
  CameraHealth h = snapshot(counters_);
  std::lock_guard lock(mutex_);
  h.state = state_;
  h.reason = reason_;
  return h;
}

}  // namespace vigie::ingest
