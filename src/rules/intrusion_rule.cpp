// intrusion: a person-sized object inside a forbidden polygon for dwell_s, or crossing a
// tripwire in its alerting direction.

#include <map>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// How long a line crossing keeps its situation "true", so that inertia can be met.
constexpr double kCrossingHoldS = 1.5;

class IntrusionRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

 private:
  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    std::map<std::pair<std::string, track::TrackId>, double> still_inside;
    for (const track::Track& t : scene.tracks) {
      if (!is_reliable(t)) continue;
      const double person = person_height_at(scene, t.foot);
      if (t.box.height < rule_.min_height_fraction * person) continue;  // too small: not a person
      for (const ZoneGeometry* z : zones) {
        if (!polygon_contains(z->polygon, t.foot)) continue;
        const auto key = std::make_pair(z->id, t.id);
        const auto it = entered_.find(key);
        const double since = it == entered_.end() ? scene.t : it->second;
        still_inside[key] = since;
        const double inside_s = scene.t - since;
        if (inside_s >= rule_.dwell_s) {
          report(z->id, z->id, scene, std::min(1.0, 0.6 + 0.1 * inside_s), t.box);
        }
      }
      detect_crossings(scene, t);
    }
    entered_ = std::move(still_inside);
    for (const auto& [line, crossing] : last_crossing_) {
      if (scene.t - crossing.first <= kCrossingHoldS) report(line, line, scene, 0.9, crossing.second);
    }
  }

  void detect_crossings(const Scene& scene, const track::Track& t) {
    if (!t.measurement_index || t.trajectory.size() < 2) return;
    const Point from = t.trajectory[t.trajectory.size() - 2].foot;
    const Point to = t.trajectory.back().foot;
    for (const LineGeometry* l : geometry_.lines_for(rule_)) {
      if (!segments_intersect(from, to, l->a, l->b)) continue;
      if (l->direction && (to - from).dot(*l->direction) <= 0) continue;  // the allowed way
      last_crossing_[l->id] = {scene.t, t.box};
    }
  }

  std::map<std::pair<std::string, track::TrackId>, double> entered_;  ///< entry time
  std::map<std::string, std::pair<double, cv::Rect2d>> last_crossing_;
};

}  // namespace

std::unique_ptr<Rule> make_intrusion_rule(const config::RuleConfig& rule,
                                          const CameraGeometry& geometry,
                                          const RuleContext& context) {
  return std::make_unique<IntrusionRule>(rule, geometry, context);
}

}  // namespace vigie::rules
