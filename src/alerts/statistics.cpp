#include "alerts/statistics.hpp"

#include <algorithm>
#include <vector>

namespace vigie::alerts {

std::optional<double> VerdictTally::precision() const {
  if (judged() == 0) return std::nullopt;
  return static_cast<double>(confirmed) / static_cast<double>(judged());
}

std::optional<double> VerdictTally::mean_verdict_s() const {
  if (judged() == 0) return std::nullopt;
  return verdict_seconds_sum / static_cast<double>(judged());
}

void VerdictTally::add(const storage::AlertCountRow& row) {
  alerts += row.alerts;
  confirmed += row.confirmed;
  dismissed += row.dismissed;
  verdict_seconds_sum += row.verdict_seconds_sum;
}

std::optional<double> median(std::vector<double> values) {
  if (values.empty()) return std::nullopt;
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

Result<AlertStatistics> compute_statistics(const storage::Store& store, storage::TimeMs from_ms,
                                           storage::TimeMs to_ms, std::size_t max_timed_alerts) {
  if (from_ms >= to_ms) return invalid_argument("from must be before to");
  VIGIE_ASSIGN_OR_RETURN(const auto rows, store.alert_counts(from_ms, to_ms));

  AlertStatistics out;
  out.from_ms = from_ms;
  out.to_ms = to_ms;
  for (const auto& r : rows) {
    const std::string type(to_string(r.type));
    if (r.calibration) {
      out.calibration.by_type[type] += r.alerts;
      out.calibration.by_camera[r.camera] += r.alerts;
      out.calibration.alerts += r.alerts;
      continue;
    }
    out.total.add(r);
    TypeStatistics& t = out.by_type[type];
    t.tally.add(r);
    t.by_camera[r.camera].add(r);
    out.by_camera[r.camera].add(r);
    out.by_hour[r.hour_ms] += r.alerts;
  }

  // Medians need each alert's own time to verdict: the alerts are read page by page, newest
  // first, up to a bound that keeps one request's memory and time in check.
  std::vector<double> waits;
  std::map<std::string, std::vector<double>> waits_by_type;
  storage::AlertQuery q;
  q.from_ms = from_ms;
  q.to_ms = to_ms;
  q.limit = 500;
  while (!out.median_truncated) {
    VIGIE_ASSIGN_OR_RETURN(const auto page, store.alerts(q));
    for (const auto& a : page) {
      if (a.calibration || a.verdict_ms <= 0) continue;
      if (waits.size() >= max_timed_alerts) {
        out.median_truncated = true;
        break;
      }
      const double s = static_cast<double>(a.verdict_ms - a.raised_ms) / 1000.0;
      waits.push_back(s);
      waits_by_type[std::string(to_string(a.type))].push_back(s);
    }
    if (static_cast<int>(page.size()) < q.limit) break;
    q.before_id = page.back().id;
  }
  out.median_verdict_s = median(waits);
  for (auto& [type, stats] : out.by_type) {
    auto it = waits_by_type.find(type);
    if (it != waits_by_type.end()) stats.median_verdict_s = median(std::move(it->second));
  }
  return out;
}

}  // namespace vigie::alerts
