#include "rules/rule.hpp"

#include "rules/rules_impl.hpp"

namespace vigie::rules {

Result<std::unique_ptr<Rule>> make_rule(const config::RuleConfig& rule,
                                        const CameraGeometry& geometry,
                                        const RuleContext& context) {
  switch (rule.type()) {
    case EventType::kIntrusion: return make_intrusion_rule(rule, geometry, context);
    case EventType::kWrongWay: return make_wrong_way_rule(rule, geometry, context);
    case EventType::kCrowdMovement: return make_crowd_movement_rule(rule, geometry, context);
    case EventType::kDensity: return make_density_rule(rule, geometry, context);
    case EventType::kAbandonedObject: return make_abandoned_object_rule(rule, geometry, context);
    case EventType::kPersonOnGround: return make_person_on_ground_rule(rule, geometry, context);
    case EventType::kFire: return make_fire_rule(rule, geometry, context);
    case EventType::kWeapon:
      if (context.detector_available) return make_weapon_rule(rule, geometry, context);
      return Status(StatusCode::kFailedPrecondition,
                    "weapon: unavailable: weapons can only be seen by a detector model, and "
                    "none is configured");
  }
  return Status(StatusCode::kInternal, "unknown event type");
}

}  // namespace vigie::rules
