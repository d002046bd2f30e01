// weapon: a detection whose role is weapon (the class map says which model classes are),
// scored at least min_confidence, in confirm_frames of the last window_frames frames the
// detector looked at. The rule has the detector scan around persons at weapon_scan_hz, and
// as often as the camera's budget allows while a weapon was seen in the window. Classical
// vision cannot see weapons: without a detector the rule is not built (make_rule).

#include <algorithm>
#include <deque>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// Scans per frame at most (one per person, largest first).
constexpr std::size_t kMaxScansPerFrame = 3;
/// A window whose latest look is older than this many scan periods is forgotten: the
/// frames it counted say nothing about now.
constexpr double kStalePeriods = 3.0;

class WeaponRule final : public SituationRule<config::WeaponParams> {
 public:
  using SituationRule::SituationRule;

 private:
  struct Look {
    double t = 0;
    bool weapon = false;
    cv::Rect2d box;
    float score = 0;
  };

  void detect(const Scene& scene) override {
    if (scene.detector == nullptr) return;
    DetectorLink& link = *scene.detector;
    const auto zones = geometry_.zones_for(rule_);
    const double period = 1.0 / std::max(1e-3, link.policy().scan_hz);
    if (!looks_.empty() && scene.t - looks_.back().t > kStalePeriods * period) looks_.clear();
    // Scans first: in synchronous mode their answers arrive before fresh() is read.
    const bool seen = std::any_of(looks_.begin(), looks_.end(), [](const Look& l) { return l.weapon; });
    scan(scene, link, seen ? 0.0 : period);
    // What the detector saw in this frame, whoever asked: one look per frame. A people count
    // looks at a whole zone, where a knife is a few pixels: one that saw no weapon says
    // nothing about anyone's hands, and would only dilute the window.
    Look look;
    look.t = scene.t;
    bool looked = false;
    for (const DetectorAnswer& a : link.fresh()) {
      looked = looked || a.purpose != DetectorPurpose::kCount;
      for (const Detection& d : a.found) {
        if (d.role != DetectionRole::kWeapon || d.score < params_.min_confidence) continue;
        const Point foot(d.box.x + d.box.width / 2, d.box.y + d.box.height);
        if (!rule_.zones.empty() && zone_containing(zones, foot) == nullptr) continue;
        if (d.score > look.score) look = {scene.t, true, d.box, d.score};
      }
    }
    if (looked || look.weapon) {
      looks_.push_back(look);
      while (looks_.size() > static_cast<std::size_t>(params_.window_frames)) looks_.pop_front();
    }
    const long hits = std::count_if(looks_.begin(), looks_.end(), [](const Look& l) { return l.weapon; });
    if (hits < params_.confirm_frames) return;
    const auto last = std::find_if(looks_.rbegin(), looks_.rend(), [](const Look& l) { return l.weapon; });
    const Point foot(last->box.x + last->box.width / 2, last->box.y + last->box.height);
    const ZoneGeometry* z = zone_containing(zones, foot);
    report("weapon", z != nullptr ? z->id : "", scene, last->score, last->box,
           "weapon seen in " + std::to_string(hits) + " of " + std::to_string(looks_.size()) +
               " looks",
           link.model_hash());
  }

  /// Shows the detector the surroundings of each person (hands and what they hold), at
  /// most every `every_s` seconds.
  void scan(const Scene& scene, DetectorLink& link, double every_s) {
    if (scene.t - last_scan_ < every_s - 1e-6) return;  // frame times are not exact
    std::vector<const track::Track*> persons;
    for (const track::Track& t : scene.tracks) {
      if (!is_reliable(t)) continue;
      if (t.box.height < 0.4 * person_height_at(scene, t.foot)) continue;
      persons.push_back(&t);
    }
    std::sort(persons.begin(), persons.end(), [](const auto* a, const auto* b) {
      return a->box.area() > b->box.area();
    });
    if (persons.size() > kMaxScansPerFrame) persons.resize(kMaxScansPerFrame);
    bool sent = false;
    for (const track::Track* t : persons) {
      sent = link.scan(context_region(t->box, scene.source_size), scene.t).has_value() || sent;
    }
    if (sent) last_scan_ = scene.t;
  }

  std::deque<Look> looks_;
  double last_scan_ = -1e9;
};

}  // namespace

Result<std::unique_ptr<Rule>> make_rule_of(const config::WeaponParams& /*params*/,
                                           const config::RuleConfig& rule,
                                           const CameraGeometry& geometry,
                                           const RuleContext& context) {
  if (!context.detector_available) {
    return Status(StatusCode::kFailedPrecondition,
                  "weapon: unavailable: weapons can only be seen by a detector model, and none "
                  "is configured");
  }
  return std::unique_ptr<Rule>(std::make_unique<WeaponRule>(rule, geometry, context));
}

}  // namespace vigie::rules
