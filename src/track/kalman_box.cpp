#include "track/kalman_box.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/core.hpp>

namespace vigie::track {
namespace {

// Noises are relative to the box height; a floor keeps tiny boxes from getting a filter so
// confident that it can never move.
constexpr double kMinScalePx = 4.0;
constexpr double kMinSizePx = 1.0;

}  // namespace

KalmanBox::KalmanBox(const cv::Rect2d& box, const KalmanNoise& noise) : noise_(noise) {
  const Point f = foot_of(box);
  x_ = Vec6(f.x, f.y, 0.0, 0.0, box.width, box.height);
  const double s = scale();
  const double pos = noise_.measurement * s;
  const double vel = noise_.initial_velocity * s;
  p_ = Mat6::diag(Vec6(pos * pos, pos * pos, vel * vel, vel * vel, pos * pos, pos * pos));
}

double KalmanBox::scale() const {
  return std::max(x_(5), kMinScalePx);
}

void KalmanBox::predict(double dt) {
  if (!(dt > 0.0)) return;
  Mat6 f = Mat6::eye();
  f(0, 2) = dt;
  f(1, 3) = dt;
  const double s = scale();
  // Continuous white-noise acceleration on each foot axis; random walk on the size.
  const double qa = (noise_.accel * s) * (noise_.accel * s);
  const double qs = (noise_.size * s) * (noise_.size * s) * dt;
  Mat6 q = Mat6::zeros();
  for (int axis = 0; axis < 2; ++axis) {
    const int pi = axis;
    const int vi = axis + 2;
    q(pi, pi) = qa * dt * dt * dt / 3.0;
    q(pi, vi) = q(vi, pi) = qa * dt * dt / 2.0;
    q(vi, vi) = qa * dt;
  }
  q(4, 4) = qs;
  q(5, 5) = qs;
  x_ = f * x_;
  p_ = f * p_ * f.t() + q;
  x_(4) = std::max(x_(4), kMinSizePx);
  x_(5) = std::max(x_(5), kMinSizePx);
}

void KalmanBox::update(const cv::Rect2d& box) {
  using Mat46 = cv::Matx<double, 4, 6>;
  using Mat4 = cv::Matx<double, 4, 4>;
  Mat46 h = Mat46::zeros();
  h(0, 0) = 1.0;
  h(1, 1) = 1.0;
  h(2, 4) = 1.0;
  h(3, 5) = 1.0;
  // Measurement noise follows the measured size, so a near object's jitter in pixels is
  // expected to be larger than a far one's.
  const double r = noise_.measurement * std::max(box.height, kMinScalePx);
  const Mat4 rm = Mat4::diag(cv::Vec4d(r * r, r * r, r * r, r * r));
  const Point f = foot_of(box);
  const cv::Vec4d z(f.x, f.y, box.width, box.height);
  const cv::Vec4d innovation = z - h * x_;
  const Mat4 s = h * p_ * h.t() + rm;
  const cv::Matx<double, 6, 4> k = p_ * h.t() * s.inv(cv::DECOMP_CHOLESKY);
  x_ = x_ + k * innovation;
  // Joseph form: stays symmetric and positive definite despite rounding.
  const Mat6 ikh = Mat6::eye() - k * h;
  p_ = ikh * p_ * ikh.t() + k * rm * k.t();
  x_(4) = std::max(x_(4), kMinSizePx);
  x_(5) = std::max(x_(5), kMinSizePx);
}

cv::Rect2d KalmanBox::box() const {
  return {x_(0) - x_(4) / 2.0, x_(1) - x_(5), x_(4), x_(5)};
}

cv::Point2d KalmanBox::foot_std() const {
  return {std::sqrt(p_(0, 0)), std::sqrt(p_(1, 1))};
}

}  // namespace vigie::track
