#pragma once
// Flame and smoke candidates. Colour alone is what fooled the 2024 systems (lit signs,
// road reflections, police lights); a candidate here must also keep changing shape and
// shading the way flames do (its own change, with its movement taken out), or grow steadily,
// stay present rather than blink, and, for smoke, be grey, soft and rising. Coloured pixels
// that stay as they were (posts, signs, walls) are scenery and never join a region.

#include <deque>
#include <vector>

#include <opencv2/core.hpp>

namespace vigie::perceive {

struct FireConfig {
  int min_red = 150;            ///< flame pixels: R above this, R >= G > B
  int min_red_minus_blue = 70;  ///< ... and this much more red than blue (saturation)
  double min_area_px = 30;      ///< source pixels²
  /// Median over the window of 1 - IoU of consecutive masks, the second shifted by how far
  /// the region's centre moved: flames dance; a face, a hand or a coat moves as a whole.
  double min_shape_change = 0.40;
  /// Median over the window of the mean |luma change| / luma on the pixels coloured in both
  /// frames (aligned as above), above the whole image's change: flames flicker inside.
  double min_flicker = 0.09;
  /// Flame pixels / their pieces' boxes: thin lines (paint, rails) fill little.
  double min_fill = 0.25;
  /// Base movement over the window, in the region's tallest height over the window: fires
  /// stay put (a flame's box shrinks and flares, its seat stays); a walker in a
  /// flame-coloured coat moves by most of a height in a few seconds.
  double max_drift = 0.4;
  double min_presence = 0.8;  ///< share of recent frames present: blinking lights fail
  /// A fire taking hold grows: mean area over the window's last quarter / its first, each
  /// quarter at least the one before. A region growing this much passes with the gentler
  /// dance below instead of the full one.
  double min_growth = 1.3;
  double growing_shape_change = 0.08;  ///< shape change enough for a growing region
  double growing_flicker = 0.02;       ///< flicker enough for a growing region
  double history_s = 4.0;              ///< window of the statistics
  /// A pixel whose brightness holds this long (within steady_luma per frame) shows the scene
  /// (a post, a sign, a wall, paint), not a flame: flames never hold a pixel's brightness for
  /// that long. Its colour then is remembered as scenery ...
  double steady_s = 2.0;
  int steady_luma = 6;
  /// ... and a pixel within this of its remembered colour (largest channel difference) is
  /// scenery again, right after someone who passed in front of it has gone.
  int scenery_match = 12;
  int smoke_max_chroma = 28;       ///< smoke: max(R,G,B) - min(R,G,B) at most this
  double smoke_min_rise_px_s = 3;  ///< smoke: mean upward motion, source px/s
};

struct FireCandidate {
  int id = 0;
  cv::Rect2d box;  ///< source pixels: flame plus its smoke, if any
  double first_seen_s = 0;
  double area_px = 0;       ///< flame area now, source pixels²
  double growth = 1.0;      ///< steady growth of the flame area over the window (1: none)
  double shape_change = 0;  ///< recent mean
  double flicker = 0;       ///< recent mean relative luma change inside the region
  double drift = 0;         ///< how far the region's base moved, in region heights
  double presence = 0;      ///< recent share of frames present
  double fill = 0;          ///< flame pixels / their pieces' boxes
  double on_body = 0;       ///< recent share of frames with moving foreground right below
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
    cv::Rect box;        ///< analysis pixels
    cv::Point2d centre;  ///< centroid of the mask, analysis pixels
    cv::Mat mask;        ///< full-size mask of the region this frame (empty when absent)
    double first_seen = 0;
    double first_area = 0;
    double last_area = 0;
    std::deque<std::pair<double, double>> shape_changes;  ///< (t, 1 - IoU)
    std::deque<std::pair<double, double>> flickers;       ///< (t, relative luma change)
    double fill = 0;
    std::deque<std::pair<double, cv::Point2d>> bases;  ///< (t, bottom centre)
    std::deque<std::pair<double, double>> heights;     ///< (t, box height, analysis px)
    std::deque<std::pair<double, bool>> present;       ///< (t, present)
    std::deque<std::pair<double, bool>> on_body;       ///< (t, moving foreground below)
    std::deque<std::pair<double, double>> areas;       ///< (t, flame area, source px²)
    bool smoke = false;
  };

  struct Pieces;      // this frame's flame-coloured connected components
  struct Assignment;  // which region each piece joins

  // The steps of update(), in order.
  /// Flame-coloured pixels, by colour alone.
  cv::Mat flame_mask(const cv::Mat& bgr) const;
  /// Clears scenery from `mask` and keeps its memory up to date; returns the image's mean
  /// brightness change since the previous frame (0 on the first).
  double drop_scenery_from(const cv::Mat& bgr, const cv::Mat& luma, double dt, cv::Mat& mask);
  /// Gives each large enough piece to the region it overlaps most, or to a new region.
  Assignment assign(const Pieces& pieces, double area_scale) const;
  /// Updates a region's statistics with the pieces it took this frame (none: absent).
  void follow(Region& region, const std::vector<int>& ids, const Pieces& pieces,
              const cv::Mat& luma, double global_change, double t, double area_scale) const;
  /// Records the region's shape change and flicker since the previous frame, its movement
  /// taken out. `region` is still as it was in the previous frame.
  void record_change(Region& region, const cv::Mat& region_mask, cv::Rect box, cv::Point2d centre,
                     double count, const cv::Mat& luma, double global_change, double t) const;
  /// A region for a piece that overlaps none.
  Region make_region(int piece, const Pieces& pieces, double t, double area_scale);
  /// Forgets what is older than the window and regions gone for all of it; judges the rest.
  std::vector<FireCandidate> judge_regions(const cv::Mat& bgr, const cv::Mat& moving,
                                           const cv::Mat& flow, double t, double dt,
                                           double to_source);
  /// One region's candidate from its statistics over the window.
  FireCandidate judge(Region& r, double presence, const cv::Mat& bgr, const cv::Mat& moving,
                      const cv::Mat& flow, double t, double dt, double to_source) const;
  bool smoke_above(const cv::Mat& bgr, const cv::Mat& moving, const cv::Mat& flow, cv::Rect box,
                   double dt, double to_source) const;

  FireConfig config_;
  std::vector<Region> regions_;
  cv::Mat previous_luma_;
  cv::Mat steady_;         ///< CV_32F: seconds each pixel's brightness has held
  cv::Mat scenery_;        ///< CV_8UC3: each pixel's colour when it last held for steady_s
  cv::Mat scenery_known_;  ///< CV_8U: pixels that have held once, so scenery_ is set there
  int next_id_ = 1;
};

}  // namespace vigie::perceive
