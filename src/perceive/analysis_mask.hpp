#pragma once
// The parts of a camera's image no rule analyses (config: cameras[].analysis_masks): a tree
// in the wind, a screen, a road beside the platform. They are blanked in the analysis image
// before the background model sees it, so nothing there ever becomes foreground, moves in the
// flow field, looks like a flame or changes the global light tests.
//
// Immutable once built; apply() may run on any thread.

#include <vector>

#include <opencv2/core.hpp>

#include "core/geometry.hpp"

namespace vigie::perceive {

class AnalysisMask {
 public:
  /// `polygons` in source pixels; `to_source`: source pixels per analysis pixel; `size`:
  /// the analysis image's.
  AnalysisMask(const std::vector<std::vector<Point>>& polygons, double to_source, cv::Size size);

  /// Whether any pixel is masked.
  [[nodiscard]] bool empty() const { return masked_px_ == 0; }
  /// 255 where masked (analysis pixels); empty when nothing is.
  [[nodiscard]] const cv::Mat& mask() const { return mask_; }
  /// The share of the image masked, 0..1.
  [[nodiscard]] double share() const;
  /// The analysis image with the masked pixels set to one flat grey; `bgr` itself when
  /// nothing is masked (no copy).
  [[nodiscard]] cv::Mat apply(const cv::Mat& bgr) const;
  /// Each polygon's bounding box, source pixels: what images that leave the node hide, since
  /// nobody there is seen by the analysis.
  [[nodiscard]] const std::vector<cv::Rect2d>& source_boxes() const { return boxes_; }

 private:
  cv::Mat mask_;
  int masked_px_ = 0;
  std::vector<cv::Rect2d> boxes_;
};

}  // namespace vigie::perceive
