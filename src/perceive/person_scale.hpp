#pragma once
// How tall a standing person looks at each place of the image: the ruler for every size
// test (is this blob a person, a bag, a crowd?).

#include <optional>
#include <utility>
#include <vector>

#include "core/geometry.hpp"

namespace vigie::perceive {

class PersonScale {
 public:
  /// `ground`: calibration (source pixels -> metres), if any. `zone_heights`: per-zone
  /// expected standing height in source pixels, used where there is no calibration.
  PersonScale(std::optional<Homography> ground,
              std::vector<std::pair<std::vector<Point>, double>> zone_heights,
              double person_height_m = 1.7);

  /// Expected standing height, in source pixels, of a person whose feet are at `foot`:
  /// from calibration where there is one, else from the zone's height; nullopt when neither.
  [[nodiscard]] std::optional<double> person_height_px(Point foot) const;
  /// Source pixels per metre on the ground at `foot` (calibrated cameras only).
  [[nodiscard]] std::optional<double> pixels_per_metre(Point foot) const;
  [[nodiscard]] const std::optional<Homography>& ground() const { return ground_; }

 private:
  std::optional<Homography> ground_;
  std::vector<std::pair<std::vector<Point>, double>> zone_heights_;
  double person_height_m_;
};

}  // namespace vigie::perceive
