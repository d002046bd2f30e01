// fire: a flame candidate (colour, dancing shape, steady presence, fixed base; see
// perceive/fire.hpp) that stays flame-like for dwell_s.

#include <spdlog/spdlog.h>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A place may miss the flame tests this long without restarting its dwell.
constexpr double kGapS = 1.0;
/// A place without flames for this long is forgotten.
constexpr double kForgetS = 30.0;

class FireRule final : public SituationRule<config::FireParams> {
 public:
  using SituationRule::SituationRule;

 private:
  /// A place where flames have been seen. Flame regions split, merge and change ids from
  /// frame to frame, so persistence is kept by place, not by candidate.
  struct Place {
    cv::Rect2d box;
    double since = 0;  ///< start of the current flame-like run
    double last = 0;   ///< last time a flame-like candidate was seen here
  };

  /// Flames are judged by their own change (perceive/fire.hpp), not against a background:
  /// a fire in view when the camera starts, or one whose light brightens the whole view,
  /// is watched from the first frame.
  [[nodiscard]] bool reads_background() const override { return false; }

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    for (const perceive::FireCandidate& c : scene.fire) {
      spdlog::trace(
          "fire t={:.1f} candidate {} box=[{:.0f},{:.0f},{:.0f},{:.0f}] flame_like={} "
          "change={:.2f} flicker={:.3f} presence={:.2f} drift={:.2f} fill={:.2f} on_body={:.2f} "
          "growth={:.2f} smoke={}",
          scene.t, c.id, c.box.x, c.box.y, c.box.width, c.box.height, c.flame_like, c.shape_change,
          c.flicker, c.presence, c.drift, c.fill, c.on_body, c.growth, c.smoke);
      if (!c.flame_like) continue;
      const Point base(c.box.x + c.box.width / 2, c.box.y + c.box.height);
      const ZoneGeometry* z = zone_containing(zones, base);
      if (!rule_.zones.empty() && z == nullptr) continue;
      Place& p = place_for(c.box, scene.t);
      if (scene.t - p.last > kGapS) p.since = scene.t;
      p.last = scene.t;
      if (scene.t - p.since >= params_.dwell_s) {
        const std::string zone = z != nullptr ? z->id : "";
        report(zone.empty() ? "fire" : zone, zone, scene, c.score, p.box, "flames");
      }
    }
    std::erase_if(places_, [&](const Place& p) { return scene.t - p.last > kForgetS; });
  }

  Place& place_for(const cv::Rect2d& box, double t) {
    for (Place& p : places_) {
      if ((p.box & box).area() > 0) {
        p.box = box;
        return p;
      }
    }
    places_.push_back({box, t, t});
    return places_.back();
  }

  std::vector<Place> places_;
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::FireParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<FireRule>(rule, geometry, context);
}

}  // namespace vigie::rules
