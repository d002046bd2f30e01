#include "synth/camera_model.hpp"

#include <cmath>
#include <limits>
#include <numbers>

namespace vigie::synth {

CameraModel::CameraModel(cv::Size image, double height_m, double pitch_deg, double focal_px)
    : image_(image),
      height_m_(height_m),
      sin_p_(std::sin(pitch_deg * std::numbers::pi / 180.0)),
      cos_p_(std::cos(pitch_deg * std::numbers::pi / 180.0)),
      focal_(focal_px),
      cx_(image.width / 2.0),
      cy_(image.height / 2.0) {}

CameraModel CameraModel::street(cv::Size image) {
  // Focal length scales with the width so that any resolution sees the same scene.
  return {image, 7.0, 20.0, 0.9 * image.width};
}

double CameraModel::depth(double /*x*/, double y, double z) const {
  return y * cos_p_ - (z - height_m_) * sin_p_;
}

cv::Point2d CameraModel::project(double x, double y, double z) const {
  const double d = depth(x, y, z);
  if (d <= 1e-6) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  const double up = y * sin_p_ + (z - height_m_) * cos_p_;
  return {cx_ + focal_ * x / d, cy_ - focal_ * up / d};
}

cv::Point3d CameraModel::ray(cv::Point2d pixel) const {
  const double rx = (pixel.x - cx_) / focal_;
  const double ry = -(pixel.y - cy_) / focal_;  // up in the camera frame
  // camera axes: right (1,0,0), forward (0,cos,-sin), up (0,sin,cos)
  return {rx, cos_p_ + ry * sin_p_, -sin_p_ + ry * cos_p_};
}

Point CameraModel::ground_at(cv::Point2d pixel) const {
  const cv::Point3d d = ray(pixel);
  const double rx = d.x, dir_y = d.y, dir_z = d.z;
  if (dir_z >= -1e-9) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    return {nan, nan};
  }
  const double s = height_m_ / -dir_z;
  return {rx * s, dir_y * s};
}

double CameraModel::pixels_per_metre(Point g) const {
  return focal_ / depth(g.x, g.y, 0.0);
}

}  // namespace vigie::synth
