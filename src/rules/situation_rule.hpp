#pragma once
// Base of the rules: owns the rule's config, the camera geometry and the situation tracker
// that turns per-frame evidence into alerts with inertia, hysteresis and cooldown.

#include "rules/rule.hpp"

namespace vigie::rules {

class SituationRule : public Rule {
 public:
  SituationRule(const config::RuleConfig& rule, const CameraGeometry& geometry,
                const RuleContext& context)
      : rule_(rule),
        geometry_(geometry),
        situations_({rule.inertia_s, rule.clear_s, rule.cooldown_s}, rule.type, context.camera,
                    context.sink) {
    situations_.set_context(config::rule_parameters(rule), context.config_version);
  }

  void evaluate(const Scene& scene) final {
    if (!scene.illumination_change) detect(scene);
    situations_.end_frame(scene.t);
  }

 protected:
  /// Reports, through report(), every situation whose condition holds in this frame.
  virtual void detect(const Scene& scene) = 0;

  void report(const std::string& key, const std::string& zone, const Scene& scene, double score,
              const cv::Rect2d& region, std::string detail = {}) {
    situations_.observe(key, zone, scene.t,
                        {.score = score, .region = region, .detail = std::move(detail)});
  }

  /// True while `key` has an alert raised and not ended.
  [[nodiscard]] bool is_open(const std::string& key) const { return situations_.is_open(key); }

  const config::RuleConfig rule_;
  const CameraGeometry& geometry_;

 private:
  SituationTracker situations_;
};

/// The zone (of `zones`) containing `p`, or null.
inline const ZoneGeometry* zone_containing(const std::vector<const ZoneGeometry*>& zones, Point p) {
  for (const ZoneGeometry* z : zones) {
    if (polygon_contains(z->polygon, p)) return z;
  }
  return nullptr;
}

}  // namespace vigie::rules
