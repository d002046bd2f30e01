#pragma once
// Camera ingestion: one Source per camera reads a file, RTSP or HTTP MJPEG stream with
// FFmpeg's libav*, and hands sampled, downscaled frames to analysis.
//
// Threads: the blocking demux (network or file I/O) runs on one lightweight thread per
// source that mostly sleeps in poll(). Decoding, sampling and scaling run in step(), which
// a fixed pool of workers calls (engine/scheduler.hpp), so hundreds of cameras need only
// as many busy threads as there are cores.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/clock.hpp"
#include "core/frame.hpp"
#include "core/health.hpp"
#include "core/hwaccel.hpp"
#include "ingest/packet_ring.hpp"

namespace vigie::ingest {

enum class Transport { kTcp, kUdp };

/// Files: real-time pace (live-like, demo and bench) or as fast as analysis consumes (eval).
enum class Pacing { kRealtime, kAsFastAsPossible };

struct SourceOptions {
  CameraId camera;
  std::string url;  ///< file path, rtsp://, http:// (MJPEG). Print only redact_url(url).
  Transport rtsp_transport = Transport::kTcp;
  double connect_timeout_s = 5.0;
  double read_timeout_s = 10.0;
  double stall_after_s = 3.0;
  Pacing pacing = Pacing::kRealtime;
  bool loop = false;
  bool skip_loop_filter = true;
  bool skip_non_reference = false;
  /// Hardware decoder to try. When it cannot be used the source decodes in software, logs why
  /// once (a warning; at info for kAuto) and says so in its live reason.
  HwAccel hwaccel = HwAccel::kNone;
  double analysis_fps = 5.0;
  int analysis_width = 320;
  double ring_seconds = 10.0;
  double backoff_min_s = 1.0;
  double backoff_max_s = 30.0;
  /// A connection that stayed up this long resets the backoff to backoff_min_s.
  double backoff_reset_after_s = 10.0;
  /// Seed of the backoff jitter; 0 picks one per source at random.
  std::uint64_t backoff_seed = 0;
  /// Bound of the packet queue between the I/O thread and step(), in packets. Live sources
  /// (and files at kRealtime) drop to the next keyframe when it is full; files at
  /// kAsFastAsPossible make the reader wait instead.
  int queue_packets = 100;
};

/// What one step() produced.
enum class StepResult {
  kFrame,  ///< `out` holds a new analysis frame
  kIdle,   ///< nothing to do now; on_ready will be called when there is
  kEnded,  ///< the source has finished for good (file end without loop, or stopped)
};

/// One camera's input. start/stop/health/ring may be called from any thread; step() only
/// from one worker at a time (never concurrently for one source).
///
/// Scheduling contract: after on_ready fires, call step() until it returns kIdle or kEnded
/// (kFrame means "call again"). on_ready fires when the queue goes from empty to non-empty,
/// once more on stop(), and from step() itself when it returns kIdle early to bound its
/// work with packets still queued; so a caller that waits for it after kIdle never misses
/// work. Counters: frames_analysed counts the frames step() returned as kFrame.
class Source {
 public:
  virtual ~Source() = default;
  /// Starts the I/O thread. `on_ready` is called (from that thread, from stop(), or from
  /// step()) when step() has work; it must be cheap and must not call step() itself.
  /// Call once.
  virtual void start(std::function<void()> on_ready) = 0;
  /// Cancels blocking I/O through the interrupt callback and joins. Idempotent.
  virtual void stop() = 0;
  /// Decodes what is queued; returns kFrame when a sampled frame is ready in `out`.
  virtual StepResult step(Frame& out) = 0;
  /// State, reason and counters, consistent at the time of the call.
  [[nodiscard]] virtual CameraHealth health() const = 0;
  /// Compressed packets of the last ring_seconds, for evidence clips.
  [[nodiscard]] virtual const PacketRing& ring() const = 0;
};

/// The one factory: picks the input by URL scheme (rtsp:// and rtsps://, http:// and
/// https:// as MJPEG, anything else is a file path). `clock` must outlive the source; it
/// stamps Frame::wall and last-frame times (I/O deadlines use the real steady clock).
/// Nothing happens until start().
std::unique_ptr<Source> make_source(SourceOptions options, const Clock& clock);

}  // namespace vigie::ingest
