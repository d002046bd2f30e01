#include "core/geometry.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace vigie {
namespace {

double cross(Point o, Point a, Point b) {
  return (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x);
}

bool on_segment(Point a, Point b, Point p) {
  return std::min(a.x, b.x) <= p.x && p.x <= std::max(a.x, b.x) && std::min(a.y, b.y) <= p.y &&
         p.y <= std::max(a.y, b.y);
}

Point apply(const cv::Matx33d& h, Point p) {
  const cv::Vec3d v = h * cv::Vec3d(p.x, p.y, 1.0);
  return {v[0] / v[2], v[1] / v[2]};
}

}  // namespace

double signed_area(const std::vector<Point>& polygon) {
  double sum = 0;
  for (size_t i = 0; i < polygon.size(); ++i) {
    const Point& a = polygon[i];
    const Point& b = polygon[(i + 1) % polygon.size()];
    sum += a.x * b.y - b.x * a.y;
  }
  return sum / 2.0;
}

bool segments_intersect(Point a1, Point a2, Point b1, Point b2) {
  const double d1 = cross(b1, b2, a1);
  const double d2 = cross(b1, b2, a2);
  const double d3 = cross(a1, a2, b1);
  const double d4 = cross(a1, a2, b2);
  if (((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))) {
    return true;
  }
  return (d1 == 0 && on_segment(b1, b2, a1)) || (d2 == 0 && on_segment(b1, b2, a2)) ||
         (d3 == 0 && on_segment(a1, a2, b1)) || (d4 == 0 && on_segment(a1, a2, b2));
}

bool is_simple_polygon(const std::vector<Point>& polygon) {
  const size_t n = polygon.size();
  for (size_t i = 0; i < n; ++i) {
    for (size_t j = i + 1; j < n; ++j) {
      const bool adjacent = j == i + 1 || (i == 0 && j == n - 1);
      if (adjacent) continue;
      if (segments_intersect(polygon[i], polygon[(i + 1) % n], polygon[j], polygon[(j + 1) % n])) {
        return false;
      }
    }
  }
  return true;
}

bool polygon_contains(const std::vector<Point>& polygon, Point p) {
  bool inside = false;
  for (size_t i = 0, j = polygon.size() - 1; i < polygon.size(); j = i++) {
    const Point& a = polygon[i];
    const Point& b = polygon[j];
    if ((a.y > p.y) != (b.y > p.y) && p.x < (b.x - a.x) * (p.y - a.y) / (b.y - a.y) + a.x) {
      inside = !inside;
    }
  }
  return inside;
}

cv::Rect2d bounding_box(const std::vector<Point>& points) {
  if (points.empty()) return {};
  double x0 = points[0].x, y0 = points[0].y, x1 = x0, y1 = y0;
  for (const Point& p : points) {
    x0 = std::min(x0, p.x);
    y0 = std::min(y0, p.y);
    x1 = std::max(x1, p.x);
    y1 = std::max(y1, p.y);
  }
  return {x0, y0, x1 - x0, y1 - y0};
}

void include(cv::Rect2d& region, const cv::Rect2d& box) {
  region = region.area() > 0 ? (region | box) : box;
}

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0 ? inter / uni : 0.0;
}

std::optional<Homography> Homography::from_points(const std::vector<Point>& image,
                                                  const std::vector<Point>& ground) {
  if (image.size() != 4 || ground.size() != 4) return std::nullopt;
  // Three collinear points on either side make the map singular.
  for (const auto* pts : {&image, &ground}) {
    for (size_t i = 0; i < 4; ++i) {
      const Point a = (*pts)[i], b = (*pts)[(i + 1) % 4], c = (*pts)[(i + 2) % 4];
      const double scale = std::max(1e-9, cv::norm(b - a) * cv::norm(c - a));
      if (std::abs(cross(a, b, c)) / scale < 1e-3) return std::nullopt;
    }
  }
  std::vector<cv::Point2f> src, dst;
  for (size_t i = 0; i < 4; ++i) {
    src.emplace_back(static_cast<float>(image[i].x), static_cast<float>(image[i].y));
    dst.emplace_back(static_cast<float>(ground[i].x), static_cast<float>(ground[i].y));
  }
  const cv::Mat h = cv::getPerspectiveTransform(src, dst, cv::DECOMP_SVD);
  if (h.empty() || std::abs(cv::determinant(h)) < 1e-12) return std::nullopt;
  Homography out;
  out.image_to_ground_ = cv::Matx33d(h);
  out.ground_to_image_ = out.image_to_ground_.inv();
  return out;
}

Point Homography::to_ground(Point image_point) const {
  return apply(image_to_ground_, image_point);
}
Point Homography::to_image(Point ground_point) const {
  return apply(ground_to_image_, ground_point);
}

}  // namespace vigie
