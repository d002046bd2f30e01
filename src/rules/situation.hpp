#pragma once
// Alert hygiene shared by every rule: a condition must hold for a while before an alert is
// raised (inertia), one situation gives one alert that is updated rather than repeated,
// the situation ends only after the condition has been false for a while (hysteresis),
// and the same zone and type stay quiet for a cooldown after an alert.

#include <algorithm>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "core/alert.hpp"

namespace vigie::rules {

struct HygieneConfig {
  double inertia_s = 1.0;    ///< the condition holds this long before an alert is raised
  double clear_s = 3.0;      ///< ... and is false this long before the situation ends
  double cooldown_s = 30.0;  ///< after an end, no new alert for the same key before this
};

/// Before an alert, gaps in the condition shorter than this do not restart the inertia: a
/// quarter of it, and at least 0.5 s (two frames at 5 fps).
inline double inertia_gap_s(double inertia_s) {
  return std::max(0.5, inertia_s / 4);
}

/// One rule's evidence for one frame about one situation key.
struct Evidence {
  double score = 0;
  cv::Rect2d region;
  std::string detail{};      ///< shown to the operator; the latest one wins
  std::string model_hash{};  ///< the detector model that confirmed it; empty: none
  /// False: the condition holds and its inertia runs, but no alert may be raised on this
  /// frame, as something the rule asks for besides it has yet to hold.
  bool may_raise = true;
};

/// Receives raised, updated and ended alerts.
using AlertSink = std::function<void(const Alert&, AlertChange)>;

/// Per camera and rule: tracks situations by key (typically the zone id, or zone and object).
/// Single-threaded, like the camera's pipeline.
class SituationTracker {
 public:
  SituationTracker(HygieneConfig config, EventType type, CameraId camera, AlertSink sink);

  /// Reports that the condition holds now for `key` (in `zone`).
  void observe(const std::string& key, const std::string& zone, double t, const Evidence& e);
  /// Ends the frame at time t: keys not observed in it count as "condition false".
  void end_frame(double t);

  /// Stamped on every alert.
  void set_context(std::vector<std::pair<std::string, double>> params, std::string config_version);

  [[nodiscard]] std::size_t open_alerts() const;
  /// True when `key` has a raised alert that has not ended.
  [[nodiscard]] bool is_open(const std::string& key) const;

 private:
  struct Situation {
    std::string zone;
    double first_true = 0;
    double last_true = 0;
    bool seen_this_frame = false;
    std::optional<Alert> alert;
    Evidence best;
  };

  HygieneConfig config_;
  EventType type_;
  CameraId camera_;
  AlertSink sink_;
  std::vector<std::pair<std::string, double>> params_;
  std::string config_version_;
  std::map<std::string, Situation> open_;
  std::map<std::string, double> cooldown_until_;  ///< by key
  long sequence_ = 0;
};

}  // namespace vigie::rules
