#pragma once
// The per-track Kalman filter. State: foot x, foot y (bottom-centre of the box, pixels),
// their velocities (px/s), box width and height (px). Constant velocity on the foot, random
// walk on the size, any time step. Noises scale with the box height, so a far, small object
// and a near, large one are filtered alike. Not thread-safe (owned by one Tracker).

#include <opencv2/core/matx.hpp>
#include <opencv2/core/types.hpp>

#include "core/geometry.hpp"

namespace vigie::track {

/// Noise parameters, in box heights (see TrackerConfig for meanings and defaults).
struct KalmanNoise {
  double accel = 0.5;             ///< heights / s^2
  double size = 0.1;              ///< heights / sqrt(s)
  double measurement = 0.05;      ///< heights
  double initial_velocity = 1.0;  ///< heights / s
};

class KalmanBox {
 public:
  /// Starts at the measured box, with zero velocity and its initial uncertainty.
  KalmanBox(const cv::Rect2d& box, const KalmanNoise& noise);

  /// Advances the state by dt seconds (dt <= 0 leaves it unchanged).
  void predict(double dt);
  /// Corrects the state with a measured box.
  void update(const cv::Rect2d& box);

  [[nodiscard]] Point foot() const { return {x_(0), x_(1)}; }
  [[nodiscard]] cv::Point2d velocity() const { return {x_(2), x_(3)}; }
  [[nodiscard]] double width() const { return x_(4); }
  [[nodiscard]] double height() const { return x_(5); }
  /// The box whose bottom-centre is foot().
  [[nodiscard]] cv::Rect2d box() const;
  /// Standard deviation of the foot position estimate along x and y, pixels.
  [[nodiscard]] cv::Point2d foot_std() const;

 private:
  using Vec6 = cv::Vec<double, 6>;
  using Mat6 = cv::Matx<double, 6, 6>;

  [[nodiscard]] double scale() const;

  KalmanNoise noise_;
  Vec6 x_;
  Mat6 p_;
};

/// Bottom-centre of a box.
inline Point foot_of(const cv::Rect2d& box) {
  return {box.x + box.width / 2.0, box.y + box.height};
}

}  // namespace vigie::track
