#pragma once
// The synthetic CCTV camera: a pinhole mounted above the ground, pitched down, no roll.
// World frame in metres: X right, Y forward (away from the camera's foot), Z up.
// The ground plane (Z = 0) maps to the image by a homography; heights come from the
// full projection, so far people are small.

#include <opencv2/core/types.hpp>

#include "core/geometry.hpp"

namespace vigie::synth {

class CameraModel {
 public:
  /// A camera `height_m` above the ground, pitched `pitch_deg` down, horizontal field of
  /// view from the focal length `focal_px`, principal point at the image centre.
  CameraModel(cv::Size image, double height_m, double pitch_deg, double focal_px);

  /// The default street camera for an image size (7 m high, 20 degrees down, ~60 degree FOV).
  static CameraModel street(cv::Size image);

  /// Projects a world point to image pixels. Points behind the camera give NaN.
  [[nodiscard]] cv::Point2d project(double x, double y, double z) const;
  [[nodiscard]] cv::Point2d project_ground(Point g) const { return project(g.x, g.y, 0.0); }
  /// The ground point seen at an image pixel (rays above the horizon give NaN).
  [[nodiscard]] Point ground_at(cv::Point2d pixel) const;
  /// Pixels per metre of an upright object standing at ground point g.
  [[nodiscard]] double pixels_per_metre(Point g) const;
  /// Distance along the optical axis of a world point.
  [[nodiscard]] double depth(double x, double y, double z) const;

  /// Direction (world frame, not normalised) of the ray through a pixel.
  [[nodiscard]] cv::Point3d ray(cv::Point2d pixel) const;
  [[nodiscard]] double height_m() const { return height_m_; }
  [[nodiscard]] cv::Size image_size() const { return image_; }
  [[nodiscard]] double focal_px() const { return focal_; }

 private:
  cv::Size image_;
  double height_m_;
  double sin_p_;
  double cos_p_;
  double focal_;
  double cx_;
  double cy_;
};

}  // namespace vigie::synth
