#include "rules/rule.hpp"

#include "rules/rules_impl.hpp"

namespace vigie::rules {

Result<std::unique_ptr<Rule>> make_rule(const config::RuleConfig& rule,
                                        const CameraGeometry& geometry,
                                        const RuleContext& context) {
  // The factory is chosen by the parameters' type (rules_impl.hpp): no list of types here.
  return std::visit(
      [&](const auto& params) -> Result<std::unique_ptr<Rule>> {
        return make_rule_of(params, rule, geometry, context);
      },
      rule.params);
}

}  // namespace vigie::rules
