#include "eval/metrics.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "core/bug.hpp"

namespace vigie::eval {
namespace {

std::size_t index_of(EventType type) {
  for (std::size_t i = 0; i < kAllEventTypes.size(); ++i) {
    if (kAllEventTypes[i] == type) return i;
  }
  VIGIE_BUG("event type missing from kAllEventTypes");
  return 0;
}

std::optional<double> ratio(double num, double den) {
  if (den == 0) return std::nullopt;
  return num / den;
}

std::string clip_name(const TruthClip& clip) {
  if (!clip.truth_path.empty()) return clip.truth_path.string();
  return clip.path.string();
}

}  // namespace

const EventMetrics& Evaluation::of(EventType type) const {
  return events[index_of(type)];
}

std::optional<double> percentile(std::vector<double> values, double p) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const double rank = std::clamp(p, 0.0, 100.0) / 100.0 * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(rank));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  const double frac = rank - static_cast<double>(lo);
  return values[lo] + (values[hi] - values[lo]) * frac;
}

Result<Evaluation> evaluate(std::vector<ClipInput> clips, const MatchOptions& options) {
  VIGIE_RETURN_IF_ERROR(options.validate());
  Evaluation ev;
  ev.options = options;
  double seconds = 0.0;
  for (ClipInput& in : clips) {
    const std::optional<double> duration = in.duration_s ? in.duration_s : in.truth.duration_s;
    if (!duration || !std::isfinite(*duration) || *duration <= 0) {
      return invalid_argument(fmt::format(
          "{}: clip duration unknown or not positive (give frames / fps)", clip_name(in.truth)));
    }
    ClipResult r;
    r.match = match_clip(in.truth.events, in.alerts, options);
    r.duration_s = *duration;
    r.truth = std::move(in.truth);
    r.alerts = std::move(in.alerts);
    seconds += r.duration_s;

    for (std::size_t t = 0; t < r.truth.events.size(); ++t) {
      EventMetrics& m = ev.events[index_of(r.truth.events[t].type)];
      ++m.truth;
      if (r.match.time_to_detect_s[t]) {
        ++m.tp;
        m.ttd_s.push_back(*r.match.time_to_detect_s[t]);
      } else {
        ++m.fn;
      }
    }
    for (std::size_t a = 0; a < r.alerts.size(); ++a) {
      EventMetrics& m = ev.events[index_of(r.alerts[a].type)];
      switch (r.match.alert_outcomes[a]) {
        case AlertOutcome::kDetection: ++m.detections; break;
        case AlertOutcome::kDuplicate: ++m.duplicates; break;
        case AlertOutcome::kFalse: ++m.fp; break;
      }
    }
    ev.clips.push_back(std::move(r));
  }
  ev.camera_hours = seconds / 3600.0;

  for (EventMetrics& m : ev.events) {
    const int matched = m.detections + m.duplicates;
    m.precision = ratio(matched, matched + m.fp);
    m.recall = ratio(m.tp, m.truth);
    if (m.precision && m.recall) {
      const double sum = *m.precision + *m.recall;
      m.f1 = sum == 0 ? 0.0 : 2 * *m.precision * *m.recall / sum;
    } else if (m.precision || m.recall) {
      // Only one side is defined: no alerts with truths to find (recall 0), or alerts with
      // nothing to find (precision 0). Either way nothing was right.
      m.f1 = 0.0;
    }
    m.false_alerts_per_camera_hour = ratio(m.fp, ev.camera_hours);
    std::sort(m.ttd_s.begin(), m.ttd_s.end());
    m.ttd_median_s = percentile(m.ttd_s, 50);
    m.ttd_p95_s = percentile(m.ttd_s, 95);
  }
  return ev;
}

}  // namespace vigie::eval
