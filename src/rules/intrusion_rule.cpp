// intrusion: a person-sized object inside a forbidden polygon for dwell_s, or crossing a
// tripwire in its alerting direction.

#include <algorithm>
#include <map>
#include <set>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// How long a line crossing keeps its situation "true", so that inertia can be met.
constexpr double kCrossingHoldS = 1.5;
/// A side of a line counts only beyond this distance, in standing-person heights: feet,
/// shadows and box jitter wander around a line without crossing it.
constexpr double kCrossingMargin = 0.15;
/// A track unmeasured for longer than this forgets which side of each line it was on, and
/// whether it was ever upright.
constexpr double kForgetAfterLossS = 1.0;
/// With a detector, a candidate it looked at without seeing a person is not an intruder.
constexpr bool kUnseenRejects = true;

class IntrusionRule final : public SituationRule<config::IntrusionParams> {
 public:
  using SituationRule::SituationRule;

 private:
  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    std::map<std::pair<std::string, track::TrackId>, double> still_inside;
    for (const track::Track& t : scene.tracks) {
      if (came_back(t, scene.t, kForgetAfterLossS)) forget(t.id);
      if (!is_reliable(t)) continue;
      const double person = person_height_at(scene, t.foot);
      if (t.box.height < params_.min_height_fraction * person) continue;  // too small: not a person
      // Far taller or wider than a few people together: light or a shadow, not an intruder.
      if (t.box.height > 1.6 * person || t.box.width > 2.0 * person) continue;
      // Cut by the frame, a wide shape (a cloud's shadow coming into view) can look upright.
      if (t.box.height >= t.box.width && !cut_by_frame(scene, t)) {
        upright_.insert(t.id);
      }
      for (const ZoneGeometry* z : zones) {
        const auto key = std::make_pair(z->id, t.id);
        if (!polygon_contains(z->polygon, t.foot)) continue;
        // A shape that has never been taller than wide is light on the ground (a cloud's
        // shadow drifting over gravel) more often than a person: a walker shows upright.
        if (!upright_.contains(t.id)) continue;
        const auto it = entered_.find(key);
        const double since = it == entered_.end() ? scene.t : it->second;
        still_inside[key] = since;
        const double inside_s = scene.t - since;
        // Asked as soon as the track is inside, so that the answer is there by dwell_s.
        const Gate g = person_gate(scene, t);
        if (inside_s >= params_.dwell_s && g.report) {
          // One situation per rule: a person crossing the tripwire into the zone is one alert.
          report("intrusion", z->id, scene, std::min(1.0, 0.6 + 0.1 * inside_s), t.box,
                 "inside " + z->id, g.model_hash);
        }
      }
      detect_crossings(scene, t);
    }
    entered_ = std::move(still_inside);
    // Sides are kept per live track only: ids never come back, and the map must not grow
    // with every person who ever walked past.
    const auto gone = [&](track::TrackId id) { return is_gone(scene, id); };
    std::erase_if(sides_, [&](const auto& entry) { return gone(entry.first.second); });
    std::erase_if(upright_, gone);
    // A person who stops inside fades from the moving foreground; the static map keeps them,
    // so an intrusion under way goes on (it never starts from a static shape: a parcel or a
    // shadow is not an intruder).
    if (is_open("intrusion")) {
      for (const perceive::Blob& b : scene.static_objects) {
        if (b.box.height < 0.6 * person_height_at(scene, b.foot)) continue;
        if (const ZoneGeometry* z = zone_containing(zones, b.foot)) {
          report("intrusion", z->id, scene, 0.7, b.box, "still inside " + z->id);
        }
      }
    }
    for (const auto& [line, crossing] : last_crossing_) {
      if (scene.t - crossing.t > kCrossingHoldS) continue;
      const Gate g = is_open("intrusion") ? Gate{}
                                          : gate(scene, track_key(crossing.track),
                                                 crossing.box, DetectionRole::kPerson,
                                                 DetectionRole::kOther, kUnseenRejects);
      if (g.report) report("intrusion", line, scene, 0.9, crossing.box, "crossed " + line, g.model_hash);
    }
  }

  /// With a detector, only persons intrude: a track it looked at without seeing a person
  /// there (a shadow, a light, an animal) is dropped.
  Gate person_gate(const Scene& scene, const track::Track& t) const {
    if (is_open("intrusion")) return {};
    return gate(scene, track_key(t.id), t.box, DetectionRole::kPerson,
                DetectionRole::kOther, kUnseenRejects);
  }

  void detect_crossings(const Scene& scene, const track::Track& t) {
    if (!t.measurement_index) return;
    const double margin = kCrossingMargin * person_height_at(scene, t.foot);
    for (const LineGeometry* l : geometry_.lines_for(rule_)) {
      const Point along = l->b - l->a;
      const double length = cv::norm(along);
      LineSide& s = sides_[{l->id, t.id}];
      // A crossing is a step through the segment itself, from the previous measured foot
      // (the trajectory's last but one point) to this one: feet that pass round one of its
      // ends are on both sides of its course without ever having crossed it.
      const auto& path = t.trajectory;
      if (path.size() >= 2 && segments_intersect(path[path.size() - 2].foot, t.foot, l->a, l->b))
        s.through = true;
      const double signed_distance = along.cross(t.foot - l->a) / length;
      const int side = signed_distance > margin ? 1 : (signed_distance < -margin ? -1 : 0);
      if (side == 0) continue;
      if (s.side != 0 && s.side != side && s.through) {
        // Crossed from `s.side` to `side`: the motion across the line is along the normal
        // pointing to `side`.
        const Point normal = Point(-along.y, along.x) * (side / length);
        // Light on the ground crosses lines as it crosses zones: only an upright shape counts.
        if ((!l->direction || normal.dot(*l->direction) > 0) && upright_.contains(t.id))
          last_crossing_[l->id] = {scene.t, t.box, t.id};
      }
      s.side = side;
      s.through = false;
    }
  }

  /// A track lost for a while may come back on someone else: the side of each line it was
  /// on (or the jump would cross lines) and whether it showed upright are forgotten.
  void forget(track::TrackId id) {
    std::erase_if(sides_, [&](const auto& entry) { return entry.first.second == id; });
    upright_.erase(id);
  }

  std::map<std::pair<std::string, track::TrackId>, double> entered_;  ///< entry time
  struct Crossing {
    double t = 0;
    cv::Rect2d box;
    track::TrackId track = 0;
  };
  std::map<std::string, Crossing> last_crossing_;
  /// Where a track stands with respect to a line.
  struct LineSide {
    int side = 0;          ///< last side beyond the margin, -1 or 1; 0 before any
    bool through = false;  ///< a step went through the segment since that side was seen
  };
  std::map<std::pair<std::string, track::TrackId>, LineSide> sides_;
  std::set<track::TrackId> upright_;  ///< live tracks seen taller than wide
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::IntrusionParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<IntrusionRule>(rule, geometry, context);
}

}  // namespace vigie::rules
