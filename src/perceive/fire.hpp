#pragma once
// Flame and smoke candidates. Colour alone is what fooled the 2024 systems (lit signs,
// road reflections, police lights); a candidate here must also keep changing shape the way
// flames do, stay present rather than blink, and, for smoke, be grey, soft and rising.

#include <deque>
#include <vector>

#include <opencv2/core.hpp>

namespace vigie::perceive {

struct FireConfig {
  int min_red = 150;               ///< flame pixels: R above this, R >= G > B
  int min_red_minus_blue = 70;     ///< ... and this much more red than blue (saturation)
  double min_area_px = 30;         ///< source pixels²
  double min_shape_change = 0.08;  ///< mean 1 - IoU of consecutive masks: flames dance
  double min_flicker = 0.035;      ///< mean |luma change| / luma inside the region per frame
  double min_fill = 0.25;          ///< flame pixels / box: thin lines (paint, rails) are not flames
  /// Base movement over the window, in region heights: fires stay put (they drift under 0.1);
  /// a walker in a flame-coloured coat moves by most of a height in a few seconds.
  double max_drift = 0.4;
  double min_presence = 0.8;  ///< share of recent frames present: blinking lights fail
  double history_s = 4.0;     ///< window of the statistics
  int smoke_max_chroma = 28;  ///< smoke: max(R,G,B) - min(R,G,B) at most this
  double smoke_min_rise_px_s = 3;  ///< smoke: mean upward motion, source px/s
};

struct FireCandidate {
  int id = 0;
  cv::Rect2d box;  ///< source pixels: flame plus its smoke, if any
  double first_seen_s = 0;
  double area_px = 0;       ///< flame area now, source pixels²
  double growth = 1.0;      ///< flame area now / area when first seen
  double shape_change = 0;  ///< recent mean
  double flicker = 0;       ///< recent mean relative luma change inside the region
  double drift = 0;         ///< how far the region's base moved, in region heights
  double presence = 0;      ///< recent share of frames present
  bool smoke = false;       ///< rising grey region just above the flame, or alone
  bool flame_like = false;  ///< passes the colour, dance and presence tests
  double score = 0;         ///< 0..1
};

/// Per-camera state. Not thread-safe.
class FireDetector {
 public:
  explicit FireDetector(const FireConfig& config);

  /// `moving`: foreground mask (analysis size); `flow`: coarse flow (CV_32FC2, any size,
  /// px per frame at its own scale) or empty; returns the tracked candidates at time t.
  std::vector<FireCandidate> update(const cv::Mat& bgr, const cv::Mat& moving, const cv::Mat& flow,
                                    double t, double dt, double to_source);

 private:
  struct Region {
    int id = 0;
    cv::Rect box;  ///< analysis pixels
    cv::Mat mask;  ///< full-size mask of the region this frame (empty when absent)
    double first_seen = 0;
    double first_area = 0;
    double last_area = 0;
    std::deque<std::pair<double, double>> shape_changes;  ///< (t, 1 - IoU)
    std::deque<std::pair<double, double>> flickers;       ///< (t, relative luma change)
    double fill = 0;
    std::deque<std::pair<double, cv::Point2d>> bases;  ///< (t, bottom centre)
    std::deque<std::pair<double, bool>> present;       ///< (t, present)
    bool smoke = false;
  };

  cv::Mat flame_mask(const cv::Mat& bgr) const;
  bool smoke_above(const cv::Mat& bgr, const cv::Mat& moving, const cv::Mat& flow, cv::Rect box,
                   double dt, double to_source) const;

  FireConfig config_;
  std::vector<Region> regions_;
  cv::Mat previous_luma_;
  int next_id_ = 1;
};

}  // namespace vigie::perceive
