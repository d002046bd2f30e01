#pragma once
// Connected regions of a foreground mask, in source-image pixels.

#include <vector>

#include <opencv2/core.hpp>

#include "core/geometry.hpp"
#include "perceive/person_scale.hpp"

namespace vigie::perceive {

struct Blob {
  cv::Rect2d box;      ///< source pixels
  double area_px = 0;  ///< foreground pixels, in source pixels²
  Point foot;          ///< bottom centre of the box
  double fill = 0;     ///< area / box area
  /// Expected standing height of a person at `foot`, if the scale is known.
  std::optional<double> person_height_px;
  /// A ghost: the outline is in the background, not in the frame (someone the background
  /// learned where they stood has gone). Set on moving blobs only where a rule needs it.
  bool ghost = false;
};

struct BlobConfig {
  double min_area_px = 60;            ///< source pixels²; smaller regions are noise
  double min_person_fraction = 0.15;  ///< with a scale: drop blobs lower than this × person height
};

/// Finds the blobs of `mask` (analysis size), scaled by `to_source` into source pixels.
std::vector<Blob> find_blobs(const cv::Mat& mask, double to_source, const PersonScale& scale,
                             const BlobConfig& config);

}  // namespace vigie::perceive
