#pragma once
// What goes into the tracker (measurements) and what comes out (tracks).
// Coordinates are pixels of the source video, x right, y down; times are seconds on the
// camera's monotonic clock.

#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core/types.hpp>

#include "core/geometry.hpp"

namespace vigie::track {

/// Ephemeral per-camera track number: starts at 1, never reused within one Tracker's life,
/// meaningless across cameras or restarts. It identifies a moving blob, never a person.
using TrackId = std::uint64_t;

/// One object seen in one frame: a foreground blob or a detector box.
struct Measurement {
  /// Box in source-image pixels; must be finite with positive width and height.
  cv::Rect2d box;
  /// Optional class or role tag (e.g. "person", "object"). With
  /// TrackerConfig::strict_roles, tagged measurements only join tracks with the same tag.
  std::optional<std::string> role;
  /// Detector confidence or blob quality in [0, 1]; carried to the track, not used to gate.
  double confidence = 1.0;
};

/// Life cycle of a track, see docs/track.md.
enum class TrackState {
  kTentative,  ///< newly born, not yet seen often enough to be trusted; rules ignore it
  kConfirmed,  ///< associated with a measurement in the latest frame
  kLost,       ///< confirmed before, but coasting on prediction since one or more frames
};

/// Short lowercase name: "tentative", "confirmed", "lost".
std::string_view to_string(TrackState state);

/// A filtered foot position at a time, for direction and displacement rules.
struct TrajectoryPoint {
  double t_s = 0.0;
  Point foot;
  /// Filtered box height then, pixels: a box that grows or shrinks out of proportion
  /// with its move is blobs merging or parting, not one object walking.
  double height_px = 0.0;
};

/// The tracker's public view of one object. Updated in place by Tracker::update().
struct Track {
  TrackId id = 0;
  TrackState state = TrackState::kTentative;
  /// Tag of the latest tagged measurement, if any.
  std::optional<std::string> role;
  /// Confidence of the latest associated measurement.
  double confidence = 0.0;

  /// Filtered box (on a missed frame: the prediction).
  cv::Rect2d box;
  /// Filtered bottom-centre of the box, where the object touches the ground.
  Point foot;
  /// Filtered foot velocity, pixels per second.
  cv::Point2d velocity_px_s;

  /// Time of the first and of the latest associated measurement.
  double first_seen_s = 0.0;
  double last_seen_s = 0.0;
  /// Seconds since the first measurement, at the latest update.
  double age_s = 0.0;
  /// Frames since birth, counting the birth frame (so 1 on the first frame).
  int age_frames = 0;
  /// Frames with an associated measurement.
  int hits = 0;
  /// Consecutive frames without one (0 when the latest frame had one).
  int misses = 0;
  /// Index into the latest update()'s measurements, or nullopt when coasting.
  std::optional<std::size_t> measurement_index;

  /// Tallest filtered box height seen on frames with a measurement, pixels: the reference
  /// "standing height" against which a later, lower box may mean a person on the ground.
  /// Perspective changes it as the object moves in depth; see docs/track.md.
  double max_height_px = 0.0;

  /// Filtered foot positions of the recent past (at most TrackerConfig::trajectory_s, and
  /// at most TrackerConfig::max_trajectory_points), oldest first, one per frame with a
  /// measurement.
  std::deque<TrajectoryPoint> trajectory;

  /// With a calibrated camera: the foot on the ground plane (metres), its velocity (m/s)
  /// and speed (m/s). Absent without calibration, or where the mapping is not finite.
  std::optional<Point> ground_m;
  std::optional<cv::Point2d> ground_velocity_m_s;
  std::optional<double> ground_speed_m_s;
};

}  // namespace vigie::track
