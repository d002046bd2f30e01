#pragma once
// Base of the rules: owns the rule's config (its type's parameters typed, as `params_`), the
// camera geometry and the situation tracker that turns per-frame evidence into alerts with
// inertia, hysteresis and cooldown.

#include <fmt/format.h>

#include <variant>

#include "rules/rule.hpp"

namespace vigie::rules {

/// `Params`: the rule type's parameter struct (config/rule_params.hpp); `rule.params` must
/// hold it, as make_rule() guarantees.
template <typename Params>
class SituationRule : public Rule {
 public:
  SituationRule(const config::RuleConfig& rule, const CameraGeometry& geometry,
                const RuleContext& context)
      : rule_(rule),
        params_(std::get<Params>(rule.params)),
        geometry_(geometry),
        situations_({rule.inertia_s, rule.clear_s, rule.cooldown_s}, rule.type(), context.camera,
                    context.sink) {
    situations_.set_context(config::rule_parameters(rule), context.config_version);
  }

  void evaluate(const Scene& scene) final {
    const bool background_ready =
        !scene.illumination_change && (!scene.warming_up || watches_warm_up());
    if (background_ready || !reads_background()) detect(scene);
    situations_.end_frame(scene.t);
  }

 protected:
  /// True for a rule that looks at the frames of the background's warm-up, where only the
  /// moving foreground is reported (Scene::warming_up).
  [[nodiscard]] virtual bool watches_warm_up() const { return false; }

  /// Reports, through report(), every situation whose condition holds in this frame.
  virtual void detect(const Scene& scene) = 0;

  /// False for a rule whose evidence does not come from the background models: it is then
  /// evaluated while they warm up and on frames of a global lighting step too.
  [[nodiscard]] virtual bool reads_background() const { return true; }

  /// `may_raise`: false while something besides the condition has yet to hold before an
  /// alert (Evidence::may_raise).
  void report(const std::string& key, const std::string& zone, const Scene& scene, double score,
              const cv::Rect2d& region, std::string detail = {}, std::string model_hash = {},
              bool may_raise = true) {
    situations_.observe(key, zone, scene.t,
                        {.score = score,
                         .region = region,
                         .detail = std::move(detail),
                         .model_hash = std::move(model_hash),
                         .may_raise = may_raise});
  }

  /// What the detector's verdict lets a rule do with a candidate (docs/detector.md).
  struct Gate {
    bool report = true;      ///< false: hold it (pending) or drop it (rejected)
    std::string model_hash;  ///< set when the detector confirmed it
  };
  /// Without a detector, unanswered within the timeout, or too small for the model to see:
  /// the classical decision (report).
  /// Pending: hold. Confirmed: report, stamped with the model. Contradicted: drop. Unseen
  /// (the detector looked and saw neither role): drop when `unseen_rejects`, else report.
  /// `lying`: the candidate is someone lying across the view (DetectorLink::confirm_lying).
  static Gate gate(const Scene& scene, const std::string& key, const cv::Rect2d& box,
                   DetectionRole want, DetectionRole against, bool unseen_rejects,
                   bool lying = false) {
    if (scene.detector == nullptr) return {};
    DetectorLink& link = *scene.detector;
    switch (lying ? link.confirm_lying(key, box, want, against, scene.t)
                  : link.confirm(key, box, want, against, scene.t)) {
      case Verdict::kTimedOut: return {};
      case Verdict::kTooSmall: return {};
      case Verdict::kPending: return {false, {}};
      case Verdict::kConfirmed: return {true, scene.detector->model_hash()};
      case Verdict::kContradicted: return {false, {}};
      case Verdict::kUnseen: return {!unseen_rejects, {}};
    }
    return {};
  }

  /// True while `key` has an alert raised and not ended.
  [[nodiscard]] bool is_open(const std::string& key) const { return situations_.is_open(key); }

  const config::RuleConfig rule_;
  const Params params_;  ///< the parameters of this rule's type
  const CameraGeometry& geometry_;

 private:
  SituationTracker situations_;
};

/// The detector's key for a track's candidate.
inline std::string track_key(track::TrackId id) {
  return fmt::format("track-{}", id);
}

/// The zone (of `zones`) containing `p`, or null.
inline const ZoneGeometry* zone_containing(const std::vector<const ZoneGeometry*>& zones, Point p) {
  for (const ZoneGeometry* z : zones) {
    if (polygon_contains(z->polygon, p)) return z;
  }
  return nullptr;
}

}  // namespace vigie::rules
