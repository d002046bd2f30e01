#pragma once
// Internal to rules/: the base class and one factory per rule type, for make_rule().
//
// make_rule() visits a rule's parameters (config::RuleParams, one struct per type) and calls
// the make_rule_of overload for the struct it holds, so a rule type is registered by its
// overload here, defined beside its rule; a struct without one does not compile. A rule that
// cannot always run returns a Result saying why (weapon, without a detector); the others
// return the rule.

#include <memory>

#include "rules/situation_rule.hpp"

namespace vigie::rules {

std::unique_ptr<Rule> make_rule_of(const config::WrongWayParams&, const config::RuleConfig&,
                                   const CameraGeometry&, const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::IntrusionParams&, const config::RuleConfig&,
                                   const CameraGeometry&, const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::CrowdMovementParams&, const config::RuleConfig&,
                                   const CameraGeometry&, const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::DensityParams&, const config::RuleConfig&,
                                   const CameraGeometry&, const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::AbandonedObjectParams&,
                                   const config::RuleConfig&, const CameraGeometry&,
                                   const RuleContext&);
/// FailedPrecondition without a detector: only a detector model sees weapons.
Result<std::unique_ptr<Rule>> make_rule_of(const config::WeaponParams&, const config::RuleConfig&,
                                           const CameraGeometry&, const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::PersonOnGroundParams&,
                                   const config::RuleConfig&, const CameraGeometry&,
                                   const RuleContext&);
std::unique_ptr<Rule> make_rule_of(const config::FireParams&, const config::RuleConfig&,
                                   const CameraGeometry&, const RuleContext&);

}  // namespace vigie::rules
