#pragma once
// Dense optical flow on a coarse image, summarised per zone: how fast, which way, and
// whether the crowd is spreading out or closing in.

#include <array>
#include <vector>

#include <opencv2/core.hpp>

#include "core/geometry.hpp"
#include "perceive/person_scale.hpp"

namespace vigie::perceive {

struct FlowConfig {
  int max_width = 160;             ///< flow is computed at most this wide (Farneback is O(pixels))
  double running_speed_mps = 2.5;  ///< faster than this on the ground is running
  /// Without calibration: running is faster than this many standing heights per second.
  double running_heights_per_s = 1.4;
  double still_speed_mps = 0.3;  ///< slower than this is taken as still (flow noise)
  /// Without calibration: still is slower than this many standing heights per second.
  double still_heights_per_s = 0.18;
  /// Flow is computed only around what moves, this many coarse pixels beyond it: the
  /// statistics and the smoke test read it only on moving pixels, and Farneback's windows
  /// reach about this far. 0 computes it over the whole image on every frame.
  int motion_margin = 16;
};

/// Flow statistics of one zone over the last frame interval.
struct ZoneFlow {
  // Statistics are over moving foreground pixels of the zone: flow elsewhere is texture noise.
  double mean_speed = 0;  ///< over moving pixels; m/s when metric, else source px/s
  bool metric = false;
  std::array<double, 8> direction_histogram{};  ///< share of motion per 45° sector (0 = +x)
  Point mean_direction;        ///< magnitude-weighted mean unit vector (image axes)
  double divergence = 0;       ///< 1/s, mean over moving pixels; > 0 spreading out
  double fast_fraction = 0;    ///< share of moving foreground pixels faster than running
  double moving_fraction = 0;  ///< share of the zone's pixels that are foreground and move
};

/// Per-camera state: keeps the previous coarse frame. Not thread-safe.
class FlowField {
 public:
  /// `zones` in source pixels; an empty polygon means the whole image.
  FlowField(const FlowConfig& config, cv::Size analysis_size, double to_source,
            const PersonScale& scale, const std::vector<std::vector<Point>>& zones);

  /// One result per zone, in the order given; empty on the first frame.
  std::vector<ZoneFlow> update(const cv::Mat& bgr, const cv::Mat& moving_mask, double dt_s);

  /// Width of the coarse image flow runs on.
  [[nodiscard]] int flow_width() const { return size_.width; }
  /// The last flow field (CV_32FC2, coarse pixels per frame); empty before the second frame.
  /// Computed around the moving pixels only (see FlowConfig::motion_margin): 0 elsewhere.
  [[nodiscard]] const cv::Mat& last_flow() const { return last_flow_; }
  /// Where the last update computed flow (coarse pixels): none when nothing moved.
  [[nodiscard]] const std::vector<cv::Rect>& last_regions() const { return regions_; }

 private:
  FlowConfig config_;
  cv::Size size_;
  double flow_to_source_;
  std::vector<cv::Mat> zone_masks_;
  cv::Mat metres_per_px_;  ///< CV_32F per coarse pixel; empty when uncalibrated
  cv::Mat running_px_s_;   ///< CV_32F per coarse pixel: running threshold in source px/s
  cv::Mat still_px_s_;     ///< CV_32F per coarse pixel: still threshold in source px/s
  /// The parts of the coarse image around `moving_mask`'s set pixels (whole when it is
  /// empty: no mask given), fitted to Farneback's pyramid and merged where they overlap.
  void find_regions(const cv::Mat& moving_mask);

  int min_region_side_ = 1;  ///< keeps the whole image's pyramid layers in a region
  std::vector<cv::Rect> regions_;
  cv::Mat previous_;
  cv::Mat gray_, small_, touched_, fg_;  // per-frame buffers, kept to spare allocations
  cv::Mat labels_, stats_, centroids_;
  cv::Mat region_flow_;
  cv::Mat last_flow_;
};

}  // namespace vigie::perceive
