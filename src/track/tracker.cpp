#include "track/tracker.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "track/hungarian.hpp"

namespace vigie::track {
namespace {

constexpr double kMinScalePx = 4.0;

bool is_valid(const cv::Rect2d& b) {
  return std::isfinite(b.x) && std::isfinite(b.y) && std::isfinite(b.width) &&
         std::isfinite(b.height) && b.width > 0.0 && b.height > 0.0;
}

double iou(const cv::Rect2d& a, const cv::Rect2d& b) {
  const double inter = (a & b).area();
  const double uni = a.area() + b.area() - inter;
  return uni > 0.0 ? inter / uni : 0.0;
}

bool finite(Point p) {
  return std::isfinite(p.x) && std::isfinite(p.y);
}

}  // namespace

std::string_view to_string(TrackState state) {
  switch (state) {
    case TrackState::kTentative: return "tentative";
    case TrackState::kConfirmed: return "confirmed";
    case TrackState::kLost: return "lost";
  }
  return "unknown";
}

Tracker::Tracker(std::shared_ptr<const TrackerConfig> config, std::optional<Homography> ground)
    : config_(config ? std::move(config) : std::make_shared<const TrackerConfig>()),
      ground_(std::move(ground)),
      noise_{config_->accel_noise, config_->size_noise, config_->measurement_noise,
             config_->initial_velocity_std} {}

void Tracker::reset() {
  for (const Track& t : tracks_) ended_.push_back(t.id);
  counters_.tracks_ended += tracks_.size();
  tracks_.clear();
  filters_.clear();
  last_t_s_.reset();
}

double Tracker::pair_cost(std::size_t track, const Measurement& m) const {
  const TrackerConfig& c = *config_;
  const Track& t = tracks_[track];
  if (c.strict_roles && m.role && t.role && *m.role != *t.role) return kForbidden;
  const cv::Rect2d predicted = filters_[track].box();
  const double ratio = m.box.height / predicted.height;
  if (ratio > c.max_height_ratio || ratio * c.max_height_ratio < 1.0) return kForbidden;
  const double overlap = iou(predicted, m.box);
  const Point d = foot_of(m.box) - filters_[track].foot();
  const double distance = std::hypot(d.x, d.y) / std::max(predicted.height, kMinScalePx);
  const double gate = c.max_distance * (1.0 + c.gate_growth_per_miss * t.misses);
  const bool iou_ok = overlap > 0.0 && overlap >= c.min_iou;
  if (!iou_ok && distance > gate) return kForbidden;
  return c.iou_weight * (1.0 - overlap) + (1.0 - c.iou_weight) * (distance / gate);
}

void Tracker::associate(std::span<const Measurement> measurements, const std::vector<bool>& valid,
                        std::vector<int>& track_for_measurement) {
  // Two rounds: established tracks (confirmed or lost) choose first, so that a tentative
  // track born from clutter cannot take a measurement from a track that has earned it.
  auto round = [&](bool established) {
    std::vector<std::size_t> rows;
    for (std::size_t i = 0; i < tracks_.size(); ++i) {
      if ((tracks_[i].state != TrackState::kTentative) == established) rows.push_back(i);
    }
    std::vector<std::size_t> cols;
    for (std::size_t j = 0; j < measurements.size(); ++j) {
      if (valid[j] && track_for_measurement[j] < 0) cols.push_back(j);
    }
    if (rows.empty() || cols.empty()) return;
    std::vector<double> cost(rows.size() * cols.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t k = 0; k < cols.size(); ++k) {
        cost[r * cols.size() + k] = pair_cost(rows[r], measurements[cols[k]]);
      }
    }
    const std::vector<int> assignment = solve_assignment(cost, rows.size(), cols.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
      if (assignment[r] == kUnassigned) continue;
      track_for_measurement[cols[static_cast<std::size_t>(assignment[r])]] =
          static_cast<int>(rows[r]);
    }
  };
  round(true);
  round(false);
}

void Tracker::refresh_output(Track& track, const KalmanBox& filter, double t_s) const {
  track.box = filter.box();
  track.foot = filter.foot();
  track.velocity_px_s = filter.velocity();
  track.age_s = t_s - track.first_seen_s;
  if (!ground_) return;
  const Point g = ground_->to_ground(track.foot);
  if (!finite(g)) {
    track.ground_m.reset();
    track.ground_velocity_m_s.reset();
    track.ground_speed_m_s.reset();
    return;
  }
  // The homography is not linear, so the ground velocity is the image velocity pushed
  // through its local derivative: a central difference over a step of about one pixel.
  const cv::Point2d v = track.velocity_px_s;
  const double step_s = 1.0 / std::max(std::hypot(v.x, v.y), 1.0);
  const Point ahead = ground_->to_ground(track.foot + v * step_s);
  const Point behind = ground_->to_ground(track.foot - v * step_s);
  track.ground_m = g;
  if (finite(ahead) && finite(behind)) {
    const cv::Point2d gv = (ahead - behind) * (1.0 / (2.0 * step_s));
    track.ground_velocity_m_s = gv;
    track.ground_speed_m_s = std::hypot(gv.x, gv.y);
  } else {
    track.ground_velocity_m_s.reset();
    track.ground_speed_m_s.reset();
  }
}

const std::vector<Track>& Tracker::update(double t_s, std::span<const Measurement> measurements) {
  const TrackerConfig& c = *config_;
  ended_.clear();
  ++counters_.frames;
  if (last_t_s_ && t_s < *last_t_s_) {
    ++counters_.time_resets;
    reset();
  }
  const double dt = last_t_s_ ? t_s - *last_t_s_ : 0.0;
  last_t_s_ = t_s;

  std::vector<bool> valid(measurements.size());
  for (std::size_t j = 0; j < measurements.size(); ++j) {
    valid[j] = is_valid(measurements[j].box);
    if (valid[j]) {
      ++counters_.measurements;
    } else {
      ++counters_.invalid_measurements;
    }
  }

  for (KalmanBox& f : filters_) f.predict(dt);

  std::vector<int> track_for_measurement(measurements.size(), -1);
  associate(measurements, valid, track_for_measurement);
  std::vector<int> measurement_for_track(tracks_.size(), -1);
  for (std::size_t j = 0; j < measurements.size(); ++j) {
    if (track_for_measurement[j] >= 0) {
      measurement_for_track[static_cast<std::size_t>(track_for_measurement[j])] =
          static_cast<int>(j);
    }
  }

  // Update matched tracks, coast the others.
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    ++t.age_frames;
    if (measurement_for_track[i] < 0) {
      ++t.misses;
      t.measurement_index.reset();
      if (t.state == TrackState::kConfirmed) t.state = TrackState::kLost;
      continue;
    }
    const auto j = static_cast<std::size_t>(measurement_for_track[i]);
    const Measurement& m = measurements[j];
    filters_[i].update(m.box);
    ++t.hits;
    t.misses = 0;
    t.last_seen_s = t_s;
    t.measurement_index = j;
    t.confidence = m.confidence;
    if (m.role) t.role = m.role;
    if (t.state == TrackState::kLost) t.state = TrackState::kConfirmed;
    if (t.state == TrackState::kTentative && t.hits >= c.confirm_hits) {
      t.state = TrackState::kConfirmed;
      ++counters_.tracks_confirmed;
    }
  }

  // Death hysteresis: drop tentative tracks that can no longer reach confirm_hits within
  // confirm_window, and any track that coasted too many frames or too long.
  std::size_t kept = 0;
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    const Track& t = tracks_[i];
    const bool hopeless = t.state == TrackState::kTentative &&
                          t.hits + (c.confirm_window - t.age_frames) < c.confirm_hits;
    const bool expired = t.misses > c.max_misses || t_s - t.last_seen_s > c.max_coast_s;
    if (hopeless || expired) {
      ended_.push_back(t.id);
      ++counters_.tracks_ended;
      continue;
    }
    if (kept != i) {
      tracks_[kept] = std::move(tracks_[i]);
      filters_[kept] = filters_[i];
    }
    ++kept;
  }
  tracks_.resize(kept);
  filters_.erase(filters_.begin() + static_cast<std::ptrdiff_t>(kept), filters_.end());

  // Birth: every valid measurement left over starts a tentative track.
  for (std::size_t j = 0; j < measurements.size(); ++j) {
    if (!valid[j] || track_for_measurement[j] >= 0) continue;
    const Measurement& m = measurements[j];
    Track t;
    t.id = next_id_++;
    t.role = m.role;
    t.confidence = m.confidence;
    t.first_seen_s = t.last_seen_s = t_s;
    t.age_frames = 1;
    t.hits = 1;
    t.measurement_index = j;
    ++counters_.tracks_born;
    if (c.confirm_hits <= 1) {
      t.state = TrackState::kConfirmed;
      ++counters_.tracks_confirmed;
    }
    tracks_.push_back(std::move(t));
    filters_.emplace_back(m.box, noise_);
  }

  // Outputs, standing height and trajectories from the filtered state.
  for (std::size_t i = 0; i < tracks_.size(); ++i) {
    Track& t = tracks_[i];
    refresh_output(t, filters_[i], t_s);
    if (!t.measurement_index) continue;
    t.max_height_px = std::max(t.max_height_px, t.box.height);
    t.trajectory.push_back({t_s, t.foot, t.box.height});
    while (!t.trajectory.empty() &&
           (t.trajectory.front().t_s < t_s - c.trajectory_s ||
            t.trajectory.size() > static_cast<std::size_t>(c.max_trajectory_points))) {
      t.trajectory.pop_front();
    }
  }
  return tracks_;
}

}  // namespace vigie::track
