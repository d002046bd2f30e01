#pragma once
// Camera health: a state with a human-readable reason, and counters.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace vigie {

/// Where a camera stands. Documented in docs/ingest.md.
enum class CameraState {
  kConnecting,  ///< opening the input (first time, or after a backoff)
  kLive,        ///< frames are arriving
  kStalled,     ///< was live, but the stream broke or went silent; a reconnect follows
  kFailed,      ///< the input cannot be opened or decoded; retried with backoff where useful
  kEnded,       ///< a file reached its end and is not looping
  kStopped,     ///< not analysed on purpose (disabled or stopped)
  /// live, but the view is no longer the one its rules were set up on (moved, covered,
  /// blurred, blinded): rules suspended until it returns or a supervisor accepts it
  kViewChanged,
};

std::string_view to_string(CameraState state);

/// Monotonic counters of one camera, updated by its pipeline, read by anyone.
struct CameraCounters {
  std::atomic<std::uint64_t> frames_decoded{0};
  std::atomic<std::uint64_t> frames_analysed{0};
  std::atomic<std::uint64_t> frames_dropped{0};
  std::atomic<std::uint64_t> reconnects{0};
  std::atomic<std::uint64_t> decode_errors{0};
  std::atomic<std::uint64_t> packets_read{0};
  /// Wall-clock time of the last decoded frame, milliseconds since the Unix epoch; 0 if none.
  std::atomic<std::int64_t> last_frame_unix_ms{0};
};

/// A consistent copy of a camera's health, for display and tests.
struct CameraHealth {
  CameraState state = CameraState::kConnecting;
  std::string reason;
  std::uint64_t frames_decoded = 0;
  std::uint64_t frames_analysed = 0;
  std::uint64_t frames_dropped = 0;
  std::uint64_t reconnects = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t packets_read = 0;
  std::int64_t last_frame_unix_ms = 0;
};

/// Copies the counters into a snapshot (state and reason are set by the caller).
CameraHealth snapshot(const CameraCounters& counters);

}  // namespace vigie
