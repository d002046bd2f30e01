#pragma once
// Tracker parameters. Built and validated once, then shared read-only by every camera's
// Tracker (std::shared_ptr<const TrackerConfig>). Sizes and noises are relative to the
// object's box height so that the same values hold near and far from the camera.

#include <memory>

#include "core/status.hpp"

namespace vigie::track {

struct TrackerConfig {
  // --- Gates and cost (a track-measurement pair is admissible when it passes the size gate
  // and either the IoU gate or the distance gate).

  /// Pairs whose boxes overlap at least this much (intersection over union) pass. [0.01, 1], 0.1.
  double min_iou = 0.1;
  /// Pairs whose foot points are closer than this many predicted box heights pass.
  /// [0.05, 5], 0.75.
  double max_distance = 0.75;
  /// The distance gate widens by this fraction per consecutive missed frame, since the
  /// prediction grows less certain while coasting. [0, 2], 0.25.
  double gate_growth_per_miss = 0.25;
  /// Pairs whose heights differ by more than this factor (either way) are refused. [1, 10], 2.
  double max_height_ratio = 2.0;
  /// Weight of (1 - IoU) in the cost; the normalised distance gets the rest. [0, 1], 0.5.
  double iou_weight = 0.5;
  /// When true, a tagged measurement never joins a track carrying a different tag. true.
  bool strict_roles = true;

  // --- Birth and death hysteresis.

  /// A tentative track is confirmed after this many hits... [1, 20], 3.
  int confirm_hits = 3;
  /// ...within this many frames from its birth, or deleted. [confirm_hits, 50], 5.
  int confirm_window = 5;
  /// A track survives at most this many consecutive missed frames (coasting). [0, 500], 10.
  int max_misses = 10;
  /// ...and at most this many seconds since its latest measurement. [0.05, 60], 2.
  double max_coast_s = 2.0;

  // --- Kalman filter (constant velocity on the foot, random walk on width and height).

  /// Process noise: white acceleration of the foot, box heights per s^2 (0.5 is about
  /// 0.85 m/s^2 for a person: walking, turning, stopping). [0.01, 50], 0.5.
  double accel_noise = 0.5;
  /// Process noise: random walk of width and height, box heights per sqrt(s). [0.001, 10], 0.1.
  double size_noise = 0.1;
  /// Measurement noise of foot position, width and height, box heights. [0.001, 1], 0.05.
  double measurement_noise = 0.05;
  /// Uncertainty of a new track's velocity, box heights per second. [0.01, 20], 1.
  double initial_velocity_std = 1.0;

  // --- Output.

  /// Seconds of foot trajectory kept per track. [0, 120], 10.
  double trajectory_s = 10.0;
  /// Hard cap on trajectory points per track, whatever the frame rate. [1, 10000], 600.
  int max_trajectory_points = 600;
};

/// Checks every field against its documented bounds; InvalidArgument names the field
/// ("track.min_iou: ...").
Status validate(const TrackerConfig& config);

/// Validates and freezes a configuration for sharing between cameras.
Result<std::shared_ptr<const TrackerConfig>> make_tracker_config(const TrackerConfig& config);

}  // namespace vigie::track
