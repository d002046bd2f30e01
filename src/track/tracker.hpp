#pragma once
// Per-camera multi-object tracker: Kalman prediction, gated Hungarian association,
// birth and death hysteresis, optional ground-plane speeds. See docs/track.md.
//
// Threading: a Tracker is per-camera state and is NOT thread-safe; it is called by whichever
// worker runs that camera's step, one call at a time. Its TrackerConfig is immutable and may
// be shared by all cameras and threads.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "core/geometry.hpp"
#include "track/kalman_box.hpp"
#include "track/track.hpp"
#include "track/tracker_config.hpp"

namespace vigie::track {

/// Monotonic counters of one Tracker, for /metrics and tests.
struct TrackerCounters {
  std::uint64_t frames = 0;                ///< update() calls
  std::uint64_t measurements = 0;          ///< valid measurements received
  std::uint64_t invalid_measurements = 0;  ///< skipped: non-finite or empty boxes
  std::uint64_t tracks_born = 0;           ///< tentative tracks started
  std::uint64_t tracks_confirmed = 0;      ///< tentative tracks that became confirmed
  std::uint64_t tracks_ended = 0;          ///< tracks deleted (either hysteresis or reset)
  std::uint64_t time_resets = 0;           ///< updates whose time went backwards
};

class Tracker {
 public:
  /// `config` should come from make_tracker_config() (validated); null means the defaults.
  /// With `ground` (image pixels to ground metres), tracks also
  /// carry ground position and velocity in metres.
  explicit Tracker(std::shared_ptr<const TrackerConfig> config,
                   std::optional<Homography> ground = std::nullopt);

  /// Processes one frame taken at `t_s` (seconds, monotonic per camera) with its
  /// measurements (source-image pixels), and returns every live track, ordered by id.
  /// If time goes backwards (e.g. the stream reconnected and its clock restarted), all
  /// tracks are ended first and counted in time_resets; ids keep increasing.
  const std::vector<Track>& update(double t_s, std::span<const Measurement> measurements);

  /// Live tracks after the latest update (tentative, confirmed and lost), ordered by id.
  [[nodiscard]] const std::vector<Track>& tracks() const { return tracks_; }
  /// Ids of the tracks deleted during the latest update.
  [[nodiscard]] const std::vector<TrackId>& ended() const { return ended_; }
  [[nodiscard]] const TrackerCounters& counters() const { return counters_; }
  [[nodiscard]] const TrackerConfig& config() const { return *config_; }

  /// Ends every track (e.g. on a camera reconnect); ids are never reused afterwards.
  void reset();

 private:
  void associate(std::span<const Measurement> measurements, const std::vector<bool>& valid,
                 std::vector<int>& track_for_measurement);
  [[nodiscard]] double pair_cost(std::size_t track, const Measurement& m) const;
  void refresh_output(Track& track, const KalmanBox& filter, double t_s) const;

  std::shared_ptr<const TrackerConfig> config_;
  std::optional<Homography> ground_;
  KalmanNoise noise_;

  // tracks_[i] is filtered by filters_[i]; both are erased together.
  std::vector<Track> tracks_;
  std::vector<KalmanBox> filters_;
  std::vector<TrackId> ended_;
  std::optional<double> last_t_s_;
  TrackId next_id_ = 1;
  TrackerCounters counters_;
};

}  // namespace vigie::track
