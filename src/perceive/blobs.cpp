#include "perceive/blobs.hpp"

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {

std::vector<Blob> find_blobs(const cv::Mat& mask, double to_source, const PersonScale& scale,
                             const BlobConfig& config) {
  std::vector<Blob> out;
  if (mask.empty()) return out;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(mask, labels, stats, centroids, 8, CV_32S);
  const double area_scale = to_source * to_source;
  for (int i = 1; i < n; ++i) {
    const int* s = stats.ptr<int>(i);
    Blob b;
    b.box = cv::Rect2d(s[cv::CC_STAT_LEFT] * to_source, s[cv::CC_STAT_TOP] * to_source,
                       s[cv::CC_STAT_WIDTH] * to_source, s[cv::CC_STAT_HEIGHT] * to_source);
    b.area_px = s[cv::CC_STAT_AREA] * area_scale;
    if (b.area_px < config.min_area_px) continue;
    b.fill = b.area_px / std::max(1.0, b.box.area());
    b.foot = Point(b.box.x + b.box.width / 2, b.box.y + b.box.height);
    b.person_height_px = scale.person_height_px(b.foot);
    if (b.person_height_px && b.box.height < config.min_person_fraction * *b.person_height_px &&
        b.box.width < config.min_person_fraction * *b.person_height_px) {
      continue;  // too small to be a person or a bag at this depth
    }
    out.push_back(b);
  }
  return out;
}

}  // namespace vigie::perceive
