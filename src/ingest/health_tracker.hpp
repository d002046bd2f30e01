#pragma once
// A camera's state, reason and counters, written by its I/O thread and step(), read by anyone.

#include <cstdint>
#include <mutex>
#include <string>

#include "core/clock.hpp"
#include "core/frame.hpp"
#include "core/health.hpp"

namespace vigie::ingest {

/// Thread-safe. State changes are logged (info for good news, warn for bad, a repeated
/// failure with the same cause at debug only);
/// reasons must already be redacted by the caller (they are redacted again as a guard).
class HealthTracker {
 public:
  HealthTracker(CameraId camera, const Clock& clock) : camera_(std::move(camera)), clock_(clock) {}

  /// Sets state and reason unless the state is final (kStopped, kEnded, permanent kFailed).
  void set(CameraState state, std::string reason);
  /// Like set(), and no later set() changes it any more.
  void set_final(CameraState state, std::string reason);
  /// Moves to kLive when `session` is the current connection and it is not live yet; a late
  /// frame of an older connection must not make a reconnecting camera look live.
  void mark_live(std::uint64_t session, const std::string& reason);
  /// Starts a new connection and returns its number.
  std::uint64_t begin_session();
  [[nodiscard]] std::uint64_t session() const;

  /// Counts a decoded frame and stamps last_frame time.
  void frame_decoded();
  CameraCounters& counters() { return counters_; }

  [[nodiscard]] CameraState state() const;
  [[nodiscard]] CameraHealth health() const;

 private:
  void log_change_locked(CameraState state, const std::string& reason);

  CameraId camera_;
  const Clock& clock_;
  CameraCounters counters_;
  mutable std::mutex mutex_;
  CameraState state_ = CameraState::kConnecting;
  std::string reason_ = "not started";
  bool final_ = false;
  std::uint64_t session_ = 0;
  std::string last_warned_cause_;
};

}  // namespace vigie::ingest
