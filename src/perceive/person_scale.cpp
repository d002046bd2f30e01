#include "perceive/person_scale.hpp"

#include <cmath>

namespace vigie::perceive {

PersonScale::PersonScale(std::optional<Homography> ground,
                         std::vector<std::pair<std::vector<Point>, double>> zone_heights,
                         double person_height_m)
    : ground_(std::move(ground)),
      zone_heights_(std::move(zone_heights)),
      person_height_m_(person_height_m) {}

std::optional<double> PersonScale::pixels_per_metre(Point foot) const {
  if (!ground_) return std::nullopt;
  // In a pinhole view an upright object at some depth has about the scale of the ground
  // across the view at that depth, so the horizontal image scale stands for the vertical.
  const Point a = ground_->to_ground(foot - Point(2, 0));
  const Point b = ground_->to_ground(foot + Point(2, 0));
  const double metres = std::hypot(b.x - a.x, b.y - a.y);
  if (!std::isfinite(metres) || metres <= 1e-9) return std::nullopt;
  return 4.0 / metres;
}

std::optional<double> PersonScale::person_height_px(Point foot) const {
  // Calibration knows perspective everywhere; a zone's single height is the fallback.
  if (auto ppm = pixels_per_metre(foot)) return *ppm * person_height_m_;
  for (const auto& [polygon, height] : zone_heights_) {
    if (polygon_contains(polygon, foot)) return height;
  }
  if (!zone_heights_.empty()) return zone_heights_.front().second;
  return std::nullopt;
}

}  // namespace vigie::perceive
