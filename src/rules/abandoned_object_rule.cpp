// abandoned_object: a bag-sized static object that appeared after start-up where a person
// stopped, whose owner then stays more than owner_distance_m away for unattended_s (the
// PETS 2006 convention). People who stand, sit or lie still are static too: they are told
// apart by size and shape, and they count as attending an object near them.

#include <map>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A static object must be seen in this share of frames to stay alive.
constexpr double kForgetAfterS = 3.0;

enum class StaticKind { kObject, kPerson, kOther };

/// Bags are small next to a standing person at the same place; people are not.
StaticKind classify(const perceive::Blob& b, double person_h) {
  if (b.box.height >= 0.45 * person_h) return StaticKind::kPerson;        // standing or sitting
  if (b.box.width >= 0.6 * person_h) return StaticKind::kPerson;          // lying
  if (b.box.height < 0.08 * person_h || b.box.width < 0.08 * person_h) return StaticKind::kOther;
  return StaticKind::kObject;
}

class AbandonedObjectRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

 private:
  struct StaticObject {
    int id = 0;
    cv::Rect2d box;
    double first_seen = 0;
    double last_seen = 0;
    std::optional<track::TrackId> owner;
    std::optional<double> unattended_since;
  };

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    std::vector<const perceive::Blob*> people_still;
    for (const perceive::Blob& b : scene.static_objects) {
      const double h = person_height_at(scene, b.foot);
      const StaticKind kind = classify(b, h);
      if (kind == StaticKind::kPerson) people_still.push_back(&b);
      if (kind != StaticKind::kObject) continue;
      if (!rule_.zones.empty() && zone_containing(zones, b.foot) == nullptr) continue;
      StaticObject& o = match(b, scene);
      o.last_seen = scene.t;
    }
    for (auto it = objects_.begin(); it != objects_.end();) {
      StaticObject& o = *it;
      if (scene.t - o.last_seen > kForgetAfterS) {
        it = objects_.erase(it);
        continue;
      }
      update_attendance(scene, o, people_still);
      if (o.unattended_since && scene.t - *o.unattended_since >= rule_.unattended_s &&
          o.last_seen == scene.t) {
        const Point base(o.box.x + o.box.width / 2, o.box.y + o.box.height);
        const ZoneGeometry* z = zone_containing(zones, base);
        report("object-" + std::to_string(o.id), z != nullptr ? z->id : "", scene, 0.8, o.box);
      }
      ++it;
    }
  }

  StaticObject& match(const perceive::Blob& b, const Scene& scene) {
    for (StaticObject& o : objects_) {
      if (iou(o.box, b.box) >= 0.3) {
        o.box = b.box;
        return o;
      }
    }
    StaticObject o;
    o.id = next_id_++;
    o.box = b.box;
    o.first_seen = scene.t;
    // The owner is the person nearest to where the object appeared, if one is close.
    double best = rule_.owner_distance_m;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      const double d = ground_distance_m(scene, t.foot, b.foot);
      if (d <= best) {
        best = d;
        o.owner = t.id;
      }
    }
    objects_.push_back(o);
    return objects_.back();
  }

  void update_attendance(const Scene& scene, StaticObject& o,
                         const std::vector<const perceive::Blob*>& people_still) {
    const Point base(o.box.x + o.box.width / 2, o.box.y + o.box.height);
    bool attended = false;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      // With a known owner only the owner attends; without one, anybody near does.
      if (o.owner && t.id != *o.owner) continue;
      if (ground_distance_m(scene, t.foot, base) <= rule_.owner_distance_m) attended = true;
    }
    // Someone standing or sitting still next to it is attending it (tracks fade when people
    // stop moving, the static map keeps them).
    for (const perceive::Blob* p : people_still) {
      if (ground_distance_m(scene, p->foot, base) <= rule_.owner_distance_m) attended = true;
    }
    if (attended) {
      o.unattended_since.reset();
    } else if (!o.unattended_since) {
      o.unattended_since = scene.t;
    }
  }

  std::vector<StaticObject> objects_;
  int next_id_ = 1;
};

}  // namespace

std::unique_ptr<Rule> make_abandoned_object_rule(const config::RuleConfig& rule,
                                                 const CameraGeometry& geometry,
                                                 const RuleContext& context) {
  return std::make_unique<AbandonedObjectRule>(rule, geometry, context);
}

}  // namespace vigie::rules
