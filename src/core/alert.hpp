#pragma once
// An alert: the only output of vigie, an attention signal to a human operator.

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core/types.hpp>

#include "core/event_type.hpp"
#include "core/frame.hpp"
#include "core/geometry.hpp"

namespace vigie {

/// What happened to an alert in this update.
enum class AlertChange {
  kRaised,   ///< a new situation
  kUpdated,  ///< the same situation, with a new score or region
  kEnded,    ///< the situation is over (the operator's verdict is still pending)
};

struct Alert {
  std::string id;  ///< unique per node: "<camera>-<type>-<sequence>"
  EventType type = EventType::kIntrusion;
  CameraId camera;
  std::string zone;    ///< zone or line id; empty for the whole image
  double start_s = 0;  ///< stream time the situation started (the rule's trigger)
  double last_s = 0;   ///< stream time of the latest update
  std::chrono::system_clock::time_point wall_start;
  double score = 0;            ///< 0..1, rule-specific confidence
  std::string detail;          ///< what the rule saw, for the operator (e.g. "rush", "line gate")
  cv::Rect2d region;           ///< source pixels
  std::vector<Point> polygon;  ///< optional outline (source pixels)
  /// The rule's parameters as configured, recorded for the evaluators.
  std::vector<std::pair<std::string, double>> params;
  std::string config_version;
  std::string model_hash;  ///< empty when no detector model contributed
};

}  // namespace vigie
