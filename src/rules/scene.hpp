#pragma once
// What the rules see of one analysed frame, and the camera geometry they work in.

#include <optional>
#include <span>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "config/config.hpp"
#include "perceive/blobs.hpp"
#include "perceive/fire.hpp"
#include "perceive/flow.hpp"
#include "perceive/person_scale.hpp"
#include "rules/detections.hpp"
#include "track/track.hpp"

namespace vigie::rules {

/// One analysed frame, as seen by the rules. Valid only during Rule::evaluate().
struct Scene {
  double t = 0;  ///< stream seconds
  cv::Size source_size;
  std::span<const track::Track> tracks;
  /// Moving foreground blobs, in the order they were given to the tracker: a track's
  /// measurement_index points into this.
  std::span<const perceive::Blob> moving;
  std::span<const perceive::Blob> static_objects;  ///< blobs of the static-foreground map
  /// Flow per camera zone, in the camera's zone order, then one for the whole image.
  std::span<const perceive::ZoneFlow> flows;
  std::span<const perceive::FireCandidate> fire;
  const cv::Mat* foreground = nullptr;  ///< moving or static foreground, analysis size
  /// The same, with what the slow model holds where static shapes were in the last seconds:
  /// people who have just stopped stay counted while they sway. Null: `foreground`.
  const cv::Mat* foreground_held = nullptr;
  double to_source = 1.0;               ///< analysis pixels -> source pixels
  const perceive::PersonScale* scale = nullptr;
  bool illumination_change = false;  ///< a global lighting step: masks are empty this frame
  /// The background models are still learning the scene: the moving foreground (what moved
  /// since the camera started) is reported, the static map is empty. Most rules wait.
  bool warming_up = false;
  /// The camera's link to the object detector; null without one (every rule then decides
  /// on classical vision alone, as always).
  DetectorLink* detector = nullptr;
};

/// Expected standing height at `foot`, with a last-resort guess of a fifth of the image.
double person_height_at(const Scene& scene, Point foot);
/// Metres between two image points on the ground (calibrated), else via person heights.
double ground_distance_m(const Scene& scene, Point a, Point b);
/// A track's speed on the ground (calibrated), else in person heights of 1.7 m per second.
double ground_speed_m_s(const Scene& scene, const track::Track& t);

/// Share of `box` (source pixels) that is foreground (moving or static); 0 without a mask.
double foreground_share(const Scene& scene, const cv::Rect2d& box);

/// The zones and lines of a camera, with what rules need precomputed.
struct ZoneGeometry {
  std::string id;
  std::vector<Point> polygon;
  std::optional<Point> allowed_direction;
  std::size_t flow_index = 0;  ///< index into Scene::flows
};
struct LineGeometry {
  std::string id;
  Point a, b;
  std::optional<Point> direction;
};

struct CameraGeometry {
  std::vector<ZoneGeometry> zones;  ///< in configuration order
  std::vector<LineGeometry> lines;
  std::size_t whole_image_flow = 0;  ///< index of the whole-image flow in Scene::flows
  cv::Size source_size;

  static CameraGeometry from(const config::CameraConfig& camera, cv::Size source_size);
  /// The zones a rule applies to (all when the rule names none); lines are separate.
  [[nodiscard]] std::vector<const ZoneGeometry*> zones_for(const config::RuleConfig& rule) const;
  [[nodiscard]] std::vector<const LineGeometry*> lines_for(const config::RuleConfig& rule) const;
  [[nodiscard]] const ZoneGeometry* zone(const std::string& id) const;
};

/// The camera's ground calibration, if it has a valid one.
std::optional<Homography> ground_of(const config::CameraConfig& camera);
/// The person scale of a camera: its calibration, else its zones' person heights.
perceive::PersonScale person_scale_of(const config::CameraConfig& camera);

/// A track the rules may trust: confirmed, or lost for at most a frame or two.
bool is_reliable(const track::Track& t);

/// True when the track was measured this frame after more than `gap_s` unmeasured. The
/// tracker's gate widens while a track coasts, so it may have brought the track back on
/// someone (or something) else: what a rule learnt of it before is better forgotten.
bool came_back(const track::Track& t, double t_s, double gap_s);

/// The box of the blob measured for `t` this frame; the filtered box when the track coasted.
/// The filter lags a shape that grows: one coming into view is cut by the frame some frames
/// before its filtered box reaches the border.
cv::Rect2d measured_box(const Scene& scene, const track::Track& t);

/// True when `box` (source pixels) reaches within a few pixels of the image border: the
/// frame cuts it, so its size and shape say nothing, and people walk in and out there.
bool touches_border(const cv::Rect2d& box, cv::Size image);
/// True when the frame cuts the track's shape: its filtered box or this frame's measured one
/// touches the border. Such a shape's outline and motion are the frame's, not the object's.
bool cut_by_frame(const Scene& scene, const track::Track& t);

/// True when no track of this frame has the id. Ids never come back, so what a rule keeps
/// per track can be forgotten once its track is gone.
bool is_gone(const Scene& scene, track::TrackId id);

}  // namespace vigie::rules
