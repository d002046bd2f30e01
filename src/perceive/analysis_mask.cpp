#include "perceive/analysis_mask.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {

AnalysisMask::AnalysisMask(const std::vector<std::vector<Point>>& polygons, double to_source,
                           cv::Size size) {
  if (polygons.empty() || size.area() == 0 || to_source <= 0) return;
  mask_ = cv::Mat::zeros(size, CV_8UC1);
  std::vector<std::vector<cv::Point>> scaled;
  for (const auto& polygon : polygons) {
    std::vector<cv::Point> pts;
    for (const Point& p : polygon) {
      pts.emplace_back(static_cast<int>(std::lround(p.x / to_source)),
                       static_cast<int>(std::lround(p.y / to_source)));
    }
    scaled.push_back(std::move(pts));
    boxes_.push_back(bounding_box(polygon));
  }
  cv::fillPoly(mask_, scaled, cv::Scalar(255), cv::LINE_8);
  masked_px_ = cv::countNonZero(mask_);
  if (masked_px_ == 0) mask_.release();
}

double AnalysisMask::share() const {
  return mask_.empty() ? 0.0 : static_cast<double>(masked_px_) / static_cast<double>(mask_.total());
}

cv::Mat AnalysisMask::apply(const cv::Mat& bgr) const {
  if (mask_.empty() || bgr.size() != mask_.size()) return bgr;
  cv::Mat out = bgr.clone();
  // One flat value never varies from frame to frame: no model ever sees a change there.
  out.setTo(cv::Scalar(128, 128, 128), mask_);
  return out;
}

}  // namespace vigie::perceive
