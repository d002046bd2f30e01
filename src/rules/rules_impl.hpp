#pragma once
// Internal to rules/: the base class and one constructor per event type, for make_rule().

#include <memory>

#include "rules/situation_rule.hpp"

namespace vigie::rules {

std::unique_ptr<Rule> make_intrusion_rule(const config::RuleConfig&, const CameraGeometry&,
                                          const RuleContext&);
std::unique_ptr<Rule> make_wrong_way_rule(const config::RuleConfig&, const CameraGeometry&,
                                          const RuleContext&);
std::unique_ptr<Rule> make_crowd_movement_rule(const config::RuleConfig&, const CameraGeometry&,
                                               const RuleContext&);
std::unique_ptr<Rule> make_density_rule(const config::RuleConfig&, const CameraGeometry&,
                                        const RuleContext&);
std::unique_ptr<Rule> make_abandoned_object_rule(const config::RuleConfig&, const CameraGeometry&,
                                                 const RuleContext&);
std::unique_ptr<Rule> make_person_on_ground_rule(const config::RuleConfig&, const CameraGeometry&,
                                                 const RuleContext&);
std::unique_ptr<Rule> make_weapon_rule(const config::RuleConfig&, const CameraGeometry&,
                                       const RuleContext&);
std::unique_ptr<Rule> make_fire_rule(const config::RuleConfig&, const CameraGeometry&,
                                     const RuleContext&);

}  // namespace vigie::rules
