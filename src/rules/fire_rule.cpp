// fire: a flame candidate (colour, dancing shape, steady presence, fixed base; see
// perceive/fire.hpp) that stays flame-like for dwell_s.

#include <map>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A candidate may miss the flame tests this long without restarting its dwell.
constexpr double kGapS = 1.0;

class FireRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

 private:
  struct Persistence {
    double since = 0;
    double last = 0;
  };

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    for (const perceive::FireCandidate& c : scene.fire) {
      const Point base(c.box.x + c.box.width / 2, c.box.y + c.box.height);
      const ZoneGeometry* z = zone_containing(zones, base);
      if (!rule_.zones.empty() && z == nullptr) continue;
      auto [it, fresh] = persistence_.try_emplace(c.id, Persistence{scene.t, scene.t});
      Persistence& p = it->second;
      if (!c.flame_like) {
        if (scene.t - p.last > kGapS) p.since = scene.t;
        continue;
      }
      if (scene.t - p.last > kGapS) p.since = scene.t;
      p.last = scene.t;
      if (scene.t - p.since >= rule_.dwell_s) {
        const std::string zone = z != nullptr ? z->id : "";
        report(zone.empty() ? "fire" : zone, zone, scene, c.score, c.box);
      }
    }
  }

  std::map<int, Persistence> persistence_;
};

}  // namespace

std::unique_ptr<Rule> make_fire_rule(const config::RuleConfig& rule, const CameraGeometry& geometry,
                                     const RuleContext& context) {
  return std::make_unique<FireRule>(rule, geometry, context);
}

}  // namespace vigie::rules
