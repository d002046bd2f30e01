#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <vector>

#include "track/tracker.hpp"

namespace vigie::track {
namespace {

// A box moving at constant image velocity, described by its foot point.
struct Walker {
  Point foot0;
  cv::Point2d v;  // px/s
  double w = 40;
  double h = 100;
  [[nodiscard]] Point foot(double t) const { return foot0 + v * t; }
  [[nodiscard]] cv::Rect2d box(double t) const {
    const Point f = foot(t);
    return {f.x - w / 2, f.y - h, w, h};
  }
};

// Gaussian noise from mt19937_64 through Box-Muller, so that results do not depend on the
// standard library's distribution implementations.
class Noise {
 public:
  explicit Noise(std::uint64_t seed) : rng_(seed) {}
  double uniform() { return (static_cast<double>(rng_() >> 11) + 0.5) / 9007199254740992.0; }
  double gauss(double sigma) {
    return sigma * std::sqrt(-2.0 * std::log(uniform())) * std::cos(2.0 * M_PI * uniform());
  }
  cv::Rect2d jitter(const cv::Rect2d& b, double sigma) {
    const double w = std::max(4.0, b.width + gauss(sigma));
    const double h = std::max(4.0, b.height + gauss(sigma));
    const double fx = b.x + b.width / 2 + gauss(sigma);
    const double fy = b.y + b.height + gauss(sigma);
    return {fx - w / 2, fy - h, w, h};
  }

 private:
  std::mt19937_64 rng_;
};

Measurement untagged(const cv::Rect2d& box) {
  return {box, std::nullopt, 1.0};
}

std::shared_ptr<const TrackerConfig> config(const TrackerConfig& c = {}) {
  auto r = make_tracker_config(c);
  EXPECT_TRUE(r.is_ok()) << r.status().to_string();
  return *r;
}

const Track* find(const std::vector<Track>& tracks, TrackId id) {
  for (const Track& t : tracks) {
    if (t.id == id) return &t;
  }
  return nullptr;
}

// The track fed by measurement `index` in the latest update, if any.
const Track* fed_by(const std::vector<Track>& tracks, std::size_t index) {
  for (const Track& t : tracks) {
    if (t.measurement_index == index) return &t;
  }
  return nullptr;
}

int count_confirmed(const std::vector<Track>& tracks) {
  int n = 0;
  for (const Track& t : tracks) n += t.state != TrackState::kTentative ? 1 : 0;
  return n;
}

TEST(TrackerConfigTest, DefaultsAreValidAndBoundsNameTheField) {
  EXPECT_TRUE(validate(TrackerConfig{}).is_ok());
  TrackerConfig c;
  c.min_iou = 1.5;
  Status s = validate(c);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("track.min_iou"), std::string::npos);
  c = {};
  c.confirm_window = c.confirm_hits - 1;
  EXPECT_NE(validate(c).message().find("track.confirm_window"), std::string::npos);
  c = {};
  c.max_coast_s = std::nan("");
  EXPECT_FALSE(validate(c).is_ok());
  EXPECT_FALSE(make_tracker_config(c).is_ok());
}

TEST(TrackerTest, SingleWalkerKeepsOneIdAndVelocityConverges) {
  Tracker tracker(config());
  const Walker w{{60, 300}, {60, 8}, 40, 100};
  std::optional<TrackId> id;
  for (int f = 0; f < 100; ++f) {
    const double t = f * 0.2;
    const std::vector<Measurement> ms = {{w.box(t), "person", 0.9}};
    const auto& tracks = tracker.update(t, ms);
    ASSERT_EQ(tracks.size(), 1u) << "frame " << f;
    if (!id) id = tracks[0].id;
    EXPECT_EQ(tracks[0].id, *id);
    EXPECT_EQ(tracks[0].state, f < 2 ? TrackState::kTentative : TrackState::kConfirmed);
  }
  const Track& t = tracker.tracks()[0];
  EXPECT_NEAR(t.velocity_px_s.x, 60, 60 * 0.02);
  EXPECT_NEAR(t.velocity_px_s.y, 8, 60 * 0.02);
  EXPECT_EQ(t.hits, 100);
  EXPECT_EQ(t.misses, 0);
  EXPECT_NEAR(t.age_s, 19.8, 1e-9);
  EXPECT_NEAR(t.max_height_px, 100, 1.0);
  EXPECT_EQ(t.role, "person");
  EXPECT_FALSE(t.ground_m.has_value());
  EXPECT_FALSE(t.ground_speed_m_s.has_value());
  // Trajectory bounded to the last 10 s, oldest first.
  ASSERT_FALSE(t.trajectory.empty());
  EXPECT_LE(t.trajectory.size(), 51u);
  EXPECT_GE(t.trajectory.front().t_s, 19.8 - 10.0 - 1e-9);
  EXPECT_DOUBLE_EQ(t.trajectory.back().t_s, 19.8);
  EXPECT_EQ(tracker.counters().tracks_born, 1u);
  EXPECT_EQ(tracker.counters().tracks_confirmed, 1u);
}

// Two people at slightly different depths walk towards each other and cross; their boxes
// overlap heavily for several frames. Measurement noise is realistic (about 3 % of height).
// With `hide_far`, the farther one is not detected for 3 frames at the crossing (occlusion).
void run_crossing(bool hide_far) {
  Tracker tracker(config());
  const Walker near{{80, 300}, {70, 0}, 40, 100};
  const Walker far{{560, 285}, {-70, 0}, 34, 85};
  Noise noise(7);
  std::map<int, TrackId> id_of;  // walker -> id once confirmed
  const double fps = 10;
  const double crossing_t = (560.0 - 80.0) / 140.0;
  for (int f = 0; f < 70; ++f) {
    const double t = f / fps;
    std::vector<Measurement> ms;
    std::vector<int> walker_of;
    ms.push_back({noise.jitter(near.box(t), 3.0), "person", 0.9});
    walker_of.push_back(0);
    const bool hidden = hide_far && std::abs(t - crossing_t) < 0.15;
    if (!hidden) {
      ms.push_back({noise.jitter(far.box(t), 2.5), "person", 0.9});
      walker_of.push_back(1);
    }
    const auto& tracks = tracker.update(t, ms);
    for (std::size_t j = 0; j < ms.size(); ++j) {
      const Track* tr = fed_by(tracks, j);
      ASSERT_NE(tr, nullptr);
      if (tr->state != TrackState::kConfirmed) continue;
      auto [it, inserted] = id_of.emplace(walker_of[j], tr->id);
      EXPECT_EQ(it->second, tr->id) << "walker " << walker_of[j] << " changed id at frame " << f;
    }
    EXPECT_LE(count_confirmed(tracks), 2) << "frame " << f;
  }
  ASSERT_EQ(id_of.size(), 2u);
  EXPECT_NE(id_of[0], id_of[1]);
  EXPECT_EQ(tracker.counters().tracks_born, 2u);
}

TEST(TrackerTest, CrossingWalkersKeepDistinctIds) {
  run_crossing(false);
}
TEST(TrackerTest, CrossingWithOcclusionOfTheFartherWalker) {
  run_crossing(true);
}

TEST(TrackerTest, MissedDetectionsAreCoastedAndReassociated) {
  Tracker tracker(config());
  const Walker w{{60, 300}, {80, 0}, 40, 100};
  TrackId id = 0;
  for (int f = 0; f < 40; ++f) {
    const double t = f * 0.2;
    std::vector<Measurement> ms;
    const bool missed = f >= 20 && f < 25;
    if (!missed) ms.push_back({w.box(t), std::nullopt, 1.0});
    const auto& tracks = tracker.update(t, ms);
    ASSERT_EQ(tracks.size(), 1u) << "frame " << f;
    if (f == 10) id = tracks[0].id;
    if (f < 10) continue;
    EXPECT_EQ(tracks[0].id, id);
    if (missed) {
      EXPECT_EQ(tracks[0].state, TrackState::kLost);
      EXPECT_EQ(tracks[0].misses, f - 19);
      EXPECT_FALSE(tracks[0].measurement_index.has_value());
      // Coasting follows the walker.
      EXPECT_NEAR(tracks[0].foot.x, w.foot(t).x, 5.0);
    } else {
      EXPECT_EQ(tracks[0].state, TrackState::kConfirmed);
    }
  }
  EXPECT_EQ(tracker.counters().tracks_born, 1u);
}

TEST(TrackerTest, DeletedAfterMissesAndNewObjectGetsNewId) {
  TrackerConfig c;
  c.max_misses = 4;
  Tracker tracker(config(c));
  const Walker a{{60, 300}, {50, 0}, 40, 100};
  int f = 0;
  for (; f < 10; ++f) tracker.update(f * 0.2, std::vector<Measurement>{untagged(a.box(f * 0.2))});
  ASSERT_EQ(tracker.tracks().size(), 1u);
  const TrackId old_id = tracker.tracks()[0].id;
  for (int miss = 1; miss <= 4; ++miss, ++f) {
    tracker.update(f * 0.2, {});
    ASSERT_EQ(tracker.tracks().size(), 1u) << "coasting miss " << miss;
  }
  tracker.update(f * 0.2, {});
  ++f;
  EXPECT_TRUE(tracker.tracks().empty());
  EXPECT_EQ(tracker.ended(), std::vector<TrackId>{old_id});
  // A new object appearing where the old one would have been gets a new id.
  const double t = f * 0.2;
  tracker.update(t, std::vector<Measurement>{untagged(a.box(t))});
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_GT(tracker.tracks()[0].id, old_id);
  EXPECT_EQ(tracker.tracks()[0].state, TrackState::kTentative);
  EXPECT_EQ(tracker.counters().tracks_ended, 1u);
}

TEST(TrackerTest, DeletedAfterCoastSecondsEvenWithFewMisses) {
  TrackerConfig c;
  c.max_coast_s = 1.0;
  Tracker tracker(config(c));
  const Walker a{{60, 300}, {50, 0}, 40, 100};
  for (int f = 0; f < 10; ++f)
    tracker.update(f * 0.2, std::vector<Measurement>{untagged(a.box(f * 0.2))});
  const TrackId id = tracker.tracks()[0].id;
  tracker.update(1.8 + 0.9, {});  // one missed frame, 0.9 s after the last hit: kept
  ASSERT_EQ(tracker.tracks().size(), 1u);
  tracker.update(1.8 + 1.5, {});  // second miss, 1.5 s: too long
  EXPECT_TRUE(tracker.tracks().empty());
  EXPECT_EQ(tracker.ended(), std::vector<TrackId>{id});
}

TEST(TrackerTest, SpuriousMeasurementsNeverBecomeConfirmed) {
  Tracker tracker(config());
  Noise noise(99);
  const Walker w{{60, 300}, {60, 0}, 40, 100};
  for (int f = 0; f < 200; ++f) {
    const double t = f * 0.2;
    std::vector<Measurement> ms = {untagged(w.box(t))};
    // Clutter: one short-lived flash somewhere random every other frame.
    if (f % 2 == 0) {
      const double x = 20 + 580 * noise.uniform();
      const double y = 20 + 300 * noise.uniform();
      ms.push_back(untagged({x, y, 15, 25}));
    }
    const auto& tracks = tracker.update(t, ms);
    EXPECT_LE(count_confirmed(tracks), 1) << "frame " << f;
  }
  EXPECT_EQ(tracker.counters().tracks_confirmed, 1u);
  EXPECT_GT(tracker.counters().tracks_born, 50u);
}

TEST(TrackerTest, StrictRolesKeepObjectsAndPeopleApart) {
  Tracker tracker(config());
  const Walker person{{200, 300}, {0, 0}, 40, 100};
  for (int f = 0; f < 5; ++f) {
    tracker.update(f * 0.2, std::vector<Measurement>{{person.box(0), "person", 1.0}});
  }
  const TrackId id = tracker.tracks()[0].id;
  // Same place, same size, other tag: not the same object.
  tracker.update(1.0, std::vector<Measurement>{{person.box(0), "bag", 1.0}});
  ASSERT_EQ(tracker.tracks().size(), 2u);
  EXPECT_EQ(find(tracker.tracks(), id)->state, TrackState::kLost);
  // An untagged measurement may join either.
  tracker.update(1.2, std::vector<Measurement>{untagged(person.box(0))});
  EXPECT_EQ(find(tracker.tracks(), id)->state, TrackState::kConfirmed);
}

// A camera tilted over the ground: the image trapezoid maps to a 10 m x 20 m rectangle.
Homography tilted_camera() {
  const std::vector<Point> image = {{220, 120}, {420, 120}, {620, 350}, {20, 350}};
  const std::vector<Point> ground = {{0, 20}, {10, 20}, {10, 0}, {0, 0}};
  auto h = Homography::from_points(image, ground);
  EXPECT_TRUE(h.has_value());
  return *h;
}

// A person 1.7 m tall and 0.5 m wide standing at ground point g, as seen by the camera.
cv::Rect2d person_box(const Homography& h, Point g) {
  const Point foot = h.to_image(g);
  const Point left = h.to_image(g - Point(0.25, 0));
  const Point right = h.to_image(g + Point(0.25, 0));
  const double w = std::hypot(right.x - left.x, right.y - left.y);
  const double height = w * 1.7 / 0.5;
  return {foot.x - w / 2, foot.y - height, w, height};
}

struct GroundWalker {
  Point g0;
  cv::Point2d v;  // m/s
};

// One walks away from the camera diagonally (5 m to 12 m deep), one across at 10 m; both at
// walking pace. Returns, per walker, the tracker's ground speeds from frame 15 on.
std::vector<std::vector<double>> ground_speeds(double jitter_heights, std::uint64_t seed) {
  const Homography h = tilted_camera();
  Tracker tracker(config(), h);
  Noise noise(seed);
  const GroundWalker walkers[] = {{{2, 2}, {0.5, 1.3}}, {{1, 10}, {1.1, 0.0}}};
  std::vector<std::vector<double>> speeds(2);
  const double fps = 5;
  for (int f = 0; f < 40; ++f) {
    const double t = f / fps;
    std::vector<Measurement> ms;
    for (const auto& w : walkers) {
      const cv::Rect2d b = person_box(h, w.g0 + w.v * t);
      ms.push_back({noise.jitter(b, jitter_heights * b.height), "person", 1.0});
    }
    const auto& tracks = tracker.update(t, ms);
    if (f < 15) continue;
    for (std::size_t j = 0; j < ms.size(); ++j) {
      const Track* tr = fed_by(tracks, j);
      EXPECT_NE(tr, nullptr);
      if (tr == nullptr || !tr->ground_speed_m_s || !tr->ground_m) continue;
      const Point g = walkers[j].g0 + walkers[j].v * t;
      EXPECT_NEAR(tr->ground_m->x, g.x, 0.3 + 10 * jitter_heights);
      EXPECT_NEAR(tr->ground_m->y, g.y, 0.6 + 30 * jitter_heights);
      speeds[j].push_back(*tr->ground_speed_m_s);
    }
  }
  return speeds;
}

const double kTrueSpeed[] = {std::hypot(0.5, 1.3), 1.1};

TEST(TrackerTest, GroundSpeedMatchesSimulatedSpeed) {
  const auto speeds = ground_speeds(0.0, 3);
  for (std::size_t j = 0; j < 2; ++j) {
    ASSERT_EQ(speeds[j].size(), 25u);
    for (double s : speeds[j]) EXPECT_NEAR(s, kTrueSpeed[j], 0.1 * kTrueSpeed[j]) << "walker " << j;
  }
}

TEST(TrackerTest, GroundSpeedWithNoisyBoxesMatchesOnAverage) {
  // Half-pixel jitter on a 50 px person far away is already about 5 cm in depth per frame,
  // so a single frame's speed is noisy (docs/track.md); its mean over 5 s is not.
  const auto speeds = ground_speeds(0.01, 3);
  for (std::size_t j = 0; j < 2; ++j) {
    ASSERT_EQ(speeds[j].size(), 25u);
    double mean = 0;
    for (double s : speeds[j]) mean += s / static_cast<double>(speeds[j].size());
    EXPECT_NEAR(mean, kTrueSpeed[j], 0.1 * kTrueSpeed[j]) << "walker " << j;
  }
}

TEST(TrackerTest, NoGroundValuesWithoutCalibration) {
  Tracker tracker(config());
  tracker.update(0.0, std::vector<Measurement>{untagged({10, 10, 20, 40})});
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_FALSE(tracker.tracks()[0].ground_m);
  EXPECT_FALSE(tracker.tracks()[0].ground_velocity_m_s);
  EXPECT_FALSE(tracker.tracks()[0].ground_speed_m_s);
}

TEST(TrackerTest, NoisyMeasurementsWithDropoutsKeepStableIds) {
  Tracker tracker(config());
  Noise noise(2024);
  const Walker walkers[] = {{{40, 330}, {45, -3}, 44, 110},
                            {{600, 200}, {-30, 4}, 26, 65},
                            {{300, 120}, {10, 12}, 16, 40}};
  std::map<int, TrackId> id_of;
  for (int f = 0; f < 150; ++f) {
    const double t = f * 0.2;
    std::vector<Measurement> ms;
    std::vector<int> walker_of;
    for (int k = 0; k < 3; ++k) {
      if (noise.uniform() < 0.1) continue;  // 10 % missed detections
      const cv::Rect2d b = walkers[k].box(t);
      ms.push_back(untagged(noise.jitter(b, 0.04 * b.height)));
      walker_of.push_back(k);
    }
    const auto& tracks = tracker.update(t, ms);
    for (std::size_t j = 0; j < ms.size(); ++j) {
      const Track* tr = fed_by(tracks, j);
      ASSERT_NE(tr, nullptr);
      if (tr->state != TrackState::kConfirmed) continue;
      auto [it, inserted] = id_of.emplace(walker_of[j], tr->id);
      EXPECT_EQ(it->second, tr->id) << "walker " << walker_of[j] << " frame " << f;
    }
  }
  EXPECT_EQ(id_of.size(), 3u);
  EXPECT_EQ(tracker.counters().tracks_confirmed, 3u);
}

TEST(TrackerTest, InvalidMeasurementsAreSkippedAndCounted) {
  Tracker tracker(config());
  const std::vector<Measurement> ms = {untagged({0, 0, 0, 10}), untagged({std::nan(""), 0, 10, 10}),
                                       untagged({0, 0, 10, -1}), untagged({10, 10, 20, 40})};
  const auto& tracks = tracker.update(0.0, ms);
  ASSERT_EQ(tracks.size(), 1u);
  EXPECT_EQ(tracks[0].measurement_index, 3u);
  EXPECT_EQ(tracker.counters().invalid_measurements, 3u);
  EXPECT_EQ(tracker.counters().measurements, 1u);
}

TEST(TrackerTest, TimeGoingBackwardsEndsTracksButNeverReusesIds) {
  Tracker tracker(config());
  const Walker w{{60, 300}, {50, 0}, 40, 100};
  for (int f = 0; f < 5; ++f)
    tracker.update(10 + f * 0.2, std::vector<Measurement>{untagged(w.box(0))});
  const TrackId id = tracker.tracks()[0].id;
  tracker.update(0.0, std::vector<Measurement>{untagged(w.box(0))});
  EXPECT_EQ(tracker.counters().time_resets, 1u);
  EXPECT_EQ(tracker.ended(), std::vector<TrackId>{id});
  ASSERT_EQ(tracker.tracks().size(), 1u);
  EXPECT_GT(tracker.tracks()[0].id, id);
  EXPECT_EQ(tracker.tracks()[0].state, TrackState::kTentative);
}

}  // namespace
}  // namespace vigie::track
