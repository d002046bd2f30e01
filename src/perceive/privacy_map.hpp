#pragma once
// Where a person may be in one camera's image, for hiding persons in every image that leaves
// the node (evidence snapshots and clips, the console's camera wall).
//
// It fails safe: what the rules track is not enough, because a person the analysis missed
// (too small, merged into a crowd, standing still) would be published. So the map hides
// every region the background models saw change, with a margin, and holds a region hidden
// until the image there shows again what it showed before the change: someone who sits
// still for minutes is absorbed by both background models, yet stays hidden, since the
// bench under them has not come back. While nothing is known of the image (the models
// warming up, a change of light over the whole view) the whole image is hidden.
//
// Per-camera state: update() is called by the camera's analysis, one frame at a time.

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include <opencv2/core.hpp>

#include "perceive/background.hpp"

namespace vigie::perceive {

/// Immutable parameters.
struct PrivacyMapConfig {
  /// Each hidden region grows by this share of its longer side on every side: a person the
  /// background models saw only in part (a torso against a wall of the same colour as the
  /// legs) is still covered head to foot.
  double margin = 0.25;
  int min_margin_px = 3;  ///< analysis pixels: the least a region grows, for distant persons
  /// A held region whose pixels differ from what was there before by at most this much (the
  /// largest of the three colour channels, 0..255) on at least `release_share` of them has
  /// been left: it is shown again.
  int release_tolerance = 30;
  double release_share = 0.85;
  /// ... or, on a patterned place at least this many analysis pixels large, when the pattern
  /// is the one there before, under other light.
  int least_pattern_px = 400;
  /// A region unchanged for this long is shown again even if it never came back to what was
  /// there before (a change of light, a parked object): over-masking stays bounded.
  double max_hold_s = 900.0;
  /// Analysis pixels along each edge of the image that are always hidden: someone entering
  /// the view is a sliver there, thinner than the background models can tell from noise.
  int border_px = 4;
  /// A region grows to a person's size only when its box is at least this share of a
  /// person's box there (0.4 h × h): smaller specks are noise.
  double least_part_of_person = 0.15;
  /// Someone the analysis loses while following them (a dark coat passing a dark window,
  /// absorbed by both models) is still near where they were last seen: the region they can
  /// have reached stays hidden for this long after ...
  double lost_person_hold_s = 3.0;
  /// ... growing on every side at a walking pace, in standing heights per second (a person
  /// walks about 80 % of their height each second), or at their own pace if faster.
  double walking_heights_per_s = 0.8;
};

/// A person the analysis follows, as it believes them now.
struct FollowedPerson {
  std::uint64_t id = 0;       ///< the analysis's own number for them, stable while followed
  cv::Rect2d box;             ///< analysis pixels, now (a prediction when not seen now)
  cv::Point2d velocity_px_s;  ///< analysis pixels per second
  double last_seen_s = 0.0;   ///< when they were last seen rather than predicted
};

/// Expected standing height, in analysis pixels, of a person whose feet are at a point
/// (analysis pixels); 0 when unknown.
using PersonHeightAt = std::function<double(cv::Point2d foot)>;

/// What to hide in one analysed frame, in analysis pixels.
struct PrivacyRegions {
  bool whole_frame = false;       ///< nothing is known of this frame: hide all of it
  std::vector<cv::Rect> regions;  ///< margins included, clipped to the image
};

class PrivacyMap {
 public:
  explicit PrivacyMap(PrivacyMapConfig config = {});

  /// Folds in one analysed frame and returns what to hide in it. `frame`: the analysis image
  /// (BGR); `masks`: its foreground; `boxes`: analysis-pixel boxes of what the analysis
  /// believes may be a person (tracks, blobs, detector persons); `t_s`: the frame's time;
  /// `height`: where known, a region smaller than a person there grows to a person's size
  /// around it, since it may be the only part of someone the models saw; `followed`: the
  /// persons the analysis follows, whose region stays hidden a while after it loses them.
  PrivacyRegions update(const cv::Mat& frame, const ForegroundMasks& masks,
                        const std::vector<cv::Rect>& boxes, double t_s,
                        const PersonHeightAt& height = {},
                        const std::vector<FollowedPerson>& followed = {});

 private:
  /// Releases held regions that show again what was there before, or were held too long.
  void release(const cv::Mat& frame, const cv::Mat& cover, double t_s);
  [[nodiscard]] std::vector<cv::Rect> held_regions(const PersonHeightAt& height) const;
  /// Remembers who is followed now; adds where those lost a while ago may be.
  void follow(const std::vector<FollowedPerson>& followed, double t_s,
              const PersonHeightAt& height, std::vector<cv::Rect>& out);

  PrivacyMapConfig config_;
  cv::Mat held_;   ///< CV_8U, 255: hidden until released
  cv::Mat seen_;   ///< CV_32F: when each pixel was last part of a change
  cv::Mat clear_;  ///< BGR: each pixel as last seen while not held (what a leaver reveals)
  /// Who was followed, as last seen.
  std::map<std::uint64_t, FollowedPerson> followed_;
};

}  // namespace vigie::perceive
