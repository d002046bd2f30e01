#include "core/health.hpp"

#include "core/bug.hpp"

namespace vigie {

std::string_view to_string(CameraState state) {
  switch (state) {
    case CameraState::kConnecting: return "connecting";
    case CameraState::kLive: return "live";
    case CameraState::kStalled: return "stalled";
    case CameraState::kFailed: return "failed";
    case CameraState::kEnded: return "ended";
    case CameraState::kStopped: return "stopped";
    case CameraState::kViewChanged: return "view_changed";
  }
  VIGIE_BUG("camera state out of its enum");
  return "unknown";
}

CameraHealth snapshot(const CameraCounters& c) {
  CameraHealth h;
  h.frames_decoded = c.frames_decoded.load();
  h.frames_analysed = c.frames_analysed.load();
  h.frames_dropped = c.frames_dropped.load();
  h.reconnects = c.reconnects.load();
  h.decode_errors = c.decode_errors.load();
  h.packets_read = c.packets_read.load();
  h.last_frame_unix_ms = c.last_frame_unix_ms.load();
  return h;
}

}  // namespace vigie
