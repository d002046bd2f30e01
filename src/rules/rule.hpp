#pragma once
// One rule per event type. A rule is per-camera state built once from validated config;
// evaluate() is called for every analysed frame of its camera, from one thread at a time.

#include <memory>
#include <string>

#include "config/config.hpp"
#include "core/status.hpp"
#include "rules/scene.hpp"
#include "rules/situation.hpp"

namespace vigie::rules {

class Rule {
 public:
  virtual ~Rule() = default;
  /// Looks at one frame; raises, updates or ends alerts through the sink.
  virtual void evaluate(const Scene& scene) = 0;
};

/// What every rule of a camera shares.
struct RuleContext {
  CameraId camera;
  AlertSink sink;
  std::string config_version;
  bool detector_available = false;
};

/// The one factory: builds the rule of `rule.type`. FailedPrecondition when the rule cannot
/// run here (weapon without a detector model), with a message saying why.
Result<std::unique_ptr<Rule>> make_rule(const config::RuleConfig& rule,
                                        const CameraGeometry& geometry, const RuleContext& context);

}  // namespace vigie::rules
