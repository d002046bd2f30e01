#pragma once
// What the operators did with the alerts of a period: alerts, confirmations and dismissals by
// type, camera and hour, the operators' precision (confirmed / judged) and the time from an
// alert to its verdict (mean and median). Calibration alerts (raised while a camera is being
// tuned) are counted apart and never in the precision. Computed from the store alone, so it
// is the same whichever node or route asks.

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::alerts {

/// Counts of one group of alerts.
struct VerdictTally {
  std::int64_t alerts = 0;
  std::int64_t confirmed = 0;
  std::int64_t dismissed = 0;
  double verdict_seconds_sum = 0;  ///< over judged alerts, from raised to verdict

  [[nodiscard]] std::int64_t judged() const { return confirmed + dismissed; }
  /// Confirmed / judged; none while nothing is judged.
  [[nodiscard]] std::optional<double> precision() const;
  [[nodiscard]] std::optional<double> mean_verdict_s() const;
  void add(const storage::AlertCountRow& row);
};

struct TypeStatistics {
  VerdictTally tally;
  std::optional<double> median_verdict_s;
  std::map<std::string, VerdictTally> by_camera;
};

struct AlertStatistics {
  storage::TimeMs from_ms = 0;  ///< raised at or after
  storage::TimeMs to_ms = 0;    ///< raised before
  VerdictTally total;
  std::optional<double> median_verdict_s;
  std::map<std::string, TypeStatistics> by_type;  ///< by event type name
  std::map<std::string, VerdictTally> by_camera;
  std::map<storage::TimeMs, std::int64_t> by_hour;  ///< alerts per UTC hour start
  /// Medians are taken over at most `max_timed_alerts` judged alerts, the newest.
  bool median_truncated = false;
  struct {
    std::int64_t alerts = 0;
    std::map<std::string, std::int64_t> by_type;
    std::map<std::string, std::int64_t> by_camera;
  } calibration;
};

/// Statistics of the alerts raised in [from_ms, to_ms). kInvalidArgument unless from < to.
Result<AlertStatistics> compute_statistics(const storage::Store& store, storage::TimeMs from_ms,
                                           storage::TimeMs to_ms,
                                           std::size_t max_timed_alerts = 100000);

/// The median of `values`; none when empty.
std::optional<double> median(std::vector<double> values);

}  // namespace vigie::alerts
