#pragma once
// Matching the alerts raised on one clip against its ground truth. Rules in docs/eval.md.

#include <optional>
#include <string>
#include <vector>

#include <opencv2/core/types.hpp>

#include "core/alert.hpp"
#include "core/event_type.hpp"
#include "eval/truth.hpp"

namespace vigie::eval {

/// An alert raised while analysing a clip.
struct ClipAlert {
  EventType type = EventType::kIntrusion;
  /// Seconds from the first frame of the clip.
  double start_s = 0.0;
  double end_s = 0.0;
  /// Where the alert points, in pixels of the source video.
  cv::Rect2d region;
  /// Detector or rule confidence, 0..1; reported, not used by matching.
  double score = 0.0;
  /// SHA-256 of the detector model that confirmed it; empty when decided classically.
  std::string model_hash;
};

/// The alert as matching sees it: as raised (type, start, region, score, confirming model),
/// ended at end_s.
ClipAlert clip_alert(const Alert& raised, double end_s);

/// Tolerances of the matching. Validated by validate().
struct MatchOptions {
  /// Seconds after a truth's end during which an alert's start still counts (>= 0).
  double grace_s = 2.0;
  /// Minimum overlap, as intersection area over the smaller of the two rectangles' areas,
  /// in [0, 1). The intersection area must in any case be strictly positive.
  double min_overlap = 0.0;

  /// kInvalidArgument naming the field when out of bounds.
  [[nodiscard]] Status validate() const;
};

/// How one alert was counted.
enum class AlertOutcome {
  kDetection,  ///< the alert that detects its truth (one per detected truth)
  kDuplicate,  ///< matches a truth already detected by another alert: neither TP nor FP
  kFalse,      ///< matches no truth event: a false alert
};

/// One matched (truth, alert) pair; indices into the clip's events and alerts.
struct MatchPair {
  int truth = 0;
  int alert = 0;
};

/// The outcome of matching one clip.
struct ClipMatch {
  /// Every matched pair, detections and duplicates, sorted by alert index. An alert appears
  /// at most once; a truth appears once per alert matched to it.
  std::vector<MatchPair> matched;
  /// Per alert, in the order given.
  std::vector<AlertOutcome> alert_outcomes;
  /// Per alert: the truth it was matched to (detection or duplicate), or nullopt.
  std::vector<std::optional<int>> alert_truth;
  /// Per truth event: seconds from truth start to the earliest matched alert's start
  /// (clamped at 0); nullopt when missed.
  std::vector<std::optional<double>> time_to_detect_s;
};

/// True when `alert` may count for `truth`: same type, alert start within
/// [truth.start_s, truth.end_s + grace_s], and regions overlapping as options require.
bool compatible(const TruthEvent& truth, const ClipAlert& alert, const MatchOptions& options);

/// Matches alerts to truths: the most truths detected (a maximum bipartite matching), each
/// alert used at most once; among equally good assignments, earlier alerts (by start, then
/// index) go to earlier truths (by start, then index). Remaining alerts compatible with some
/// truth become duplicates of the earliest such truth. Deterministic.
ClipMatch match_clip(const std::vector<TruthEvent>& truths, const std::vector<ClipAlert>& alerts,
                     const MatchOptions& options = {});

}  // namespace vigie::eval
