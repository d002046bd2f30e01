#include "track/tracker_config.hpp"

#include <cmath>
#include <string>

#include <fmt/format.h>

namespace vigie::track {
namespace {

Status check(const char* name, double value, double lo, double hi) {
  // Written so that NaN fails too.
  if (!(value >= lo && value <= hi)) {
    return invalid_argument(fmt::format("track.{}: {} is outside [{}, {}]", name, value, lo, hi));
  }
  return Status::ok();
}

}  // namespace

Status validate(const TrackerConfig& c) {
  const Status checks[] = {
      check("min_iou", c.min_iou, 0.01, 1.0),
      check("max_distance", c.max_distance, 0.05, 5.0),
      check("gate_growth_per_miss", c.gate_growth_per_miss, 0.0, 2.0),
      check("max_height_ratio", c.max_height_ratio, 1.0, 10.0),
      check("iou_weight", c.iou_weight, 0.0, 1.0),
      check("confirm_hits", c.confirm_hits, 1, 20),
      check("confirm_window", c.confirm_window, c.confirm_hits, 50),
      check("max_misses", c.max_misses, 0, 500),
      check("max_coast_s", c.max_coast_s, 0.05, 60.0),
      check("accel_noise", c.accel_noise, 0.01, 50.0),
      check("size_noise", c.size_noise, 0.001, 10.0),
      check("measurement_noise", c.measurement_noise, 0.001, 1.0),
      check("initial_velocity_std", c.initial_velocity_std, 0.01, 20.0),
      check("trajectory_s", c.trajectory_s, 0.0, 120.0),
      check("max_trajectory_points", c.max_trajectory_points, 1, 10000),
  };
  for (const Status& s : checks) {
    if (!s.is_ok()) return s;
  }
  return Status::ok();
}

Result<std::shared_ptr<const TrackerConfig>> make_tracker_config(const TrackerConfig& config) {
  VIGIE_RETURN_IF_ERROR(validate(config));
  return std::shared_ptr<const TrackerConfig>(std::make_shared<const TrackerConfig>(config));
}

}  // namespace vigie::track
