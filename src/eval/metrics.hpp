#pragma once
// Aggregating matched clips into per-event-type metrics. Definitions in docs/eval.md.

#include <array>
#include <optional>
#include <vector>

#include "core/event_type.hpp"
#include "core/status.hpp"
#include "eval/match.hpp"
#include "eval/truth.hpp"

namespace vigie::eval {

/// One clip to evaluate: its truth and the alerts raised on it.
struct ClipInput {
  TruthClip truth;
  std::vector<ClipAlert> alerts;
  /// Clip length in seconds (frames / fps); when unset, truth.duration_s is used.
  std::optional<double> duration_s;
};

/// One evaluated clip.
struct ClipResult {
  TruthClip truth;
  std::vector<ClipAlert> alerts;
  double duration_s = 0.0;
  ClipMatch match;
};

/// Metrics of one event type over all clips. Ratios are nullopt when undefined (0/0).
struct EventMetrics {
  int truth = 0;       ///< truth events of this type
  int tp = 0;          ///< truth events detected
  int fn = 0;          ///< truth events missed (truth - tp)
  int fp = 0;          ///< false alerts: alerts of this type matching no truth
  int detections = 0;  ///< alerts counted as the detection of a truth (== tp)
  int duplicates = 0;  ///< further alerts on an already detected truth
  /// Matched alerts / (matched alerts + false alerts), matched = detections + duplicates.
  std::optional<double> precision;
  /// Detected truths / truths.
  std::optional<double> recall;
  /// Harmonic mean of precision and recall; 0 when only one of them is defined (it is then
  /// 0: truths but no alerts, or alerts but no truths); nullopt when neither is.
  std::optional<double> f1;
  /// False alerts per hour of analysed video (all clips, whatever their truth).
  std::optional<double> false_alerts_per_camera_hour;
  /// Times to detect of the detected truths, in seconds, ascending.
  std::vector<double> ttd_s;
  std::optional<double> ttd_median_s;
  std::optional<double> ttd_p95_s;
};

/// The whole evaluation.
struct Evaluation {
  MatchOptions options;
  /// Indexed like kAllEventTypes.
  std::array<EventMetrics, kAllEventTypes.size()> events;
  std::vector<ClipResult> clips;
  /// Sum of the clips' durations, in hours.
  double camera_hours = 0.0;

  /// The metrics of one event type.
  [[nodiscard]] const EventMetrics& of(EventType type) const;
};

/// Percentile `p` in [0, 100] of `values` with linear interpolation between closest ranks
/// (rank = p/100 * (n-1), as numpy's default); nullopt for an empty list.
std::optional<double> percentile(std::vector<double> values, double p);

/// Matches every clip and aggregates. kInvalidArgument when options are out of bounds or a
/// clip has no positive duration (the message names the clip).
Result<Evaluation> evaluate(std::vector<ClipInput> clips, const MatchOptions& options = {});

}  // namespace vigie::eval
