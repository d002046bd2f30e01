#pragma once
// Plane geometry shared by config validation, rules and rendering.
// Image coordinates are pixels of the source video, x right, y down.

#include <optional>
#include <vector>

#include <opencv2/core/mat.hpp>
#include <opencv2/core/types.hpp>

namespace vigie {

using Point = cv::Point2d;

/// Signed area (shoelace); positive when the vertices run clockwise on screen (y down).
double signed_area(const std::vector<Point>& polygon);
/// True when the two closed segments share a point.
bool segments_intersect(Point a1, Point a2, Point b1, Point b2);
/// True when no two non-adjacent edges of the polygon cross.
bool is_simple_polygon(const std::vector<Point>& polygon);
/// Even-odd point-in-polygon test.
bool polygon_contains(const std::vector<Point>& polygon, Point p);

/// Smallest axis-aligned box holding every point (empty box for no points).
cv::Rect2d bounding_box(const std::vector<Point>& points);
/// Grows `region` to hold `box` too. An empty region becomes `box`: OpenCV's union would
/// also stretch it to the empty box's corner at the origin.
void include(cv::Rect2d& region, const cv::Rect2d& box);
/// Intersection over union of two boxes (0 when either is empty).
double iou(const cv::Rect2d& a, const cv::Rect2d& b);

/// A projective map from image pixels to ground metres, from four correspondences.
class Homography {
 public:
  /// nullopt when the points are degenerate (three collinear, or repeated).
  static std::optional<Homography> from_points(const std::vector<Point>& image,
                                               const std::vector<Point>& ground);
  [[nodiscard]] Point to_ground(Point image_point) const;
  [[nodiscard]] Point to_image(Point ground_point) const;

 private:
  cv::Matx33d image_to_ground_;
  cv::Matx33d ground_to_image_;
};

}  // namespace vigie
