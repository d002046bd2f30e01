// abandoned_object: a bag-sized static object that appeared after start-up where a person
// stopped, whose owner then stays more than owner_distance_m away for unattended_s (the
// PETS 2006 convention). People who stand, sit or lie still are static too: they are told
// apart by size and shape, and they count as attending an object near them.

#include <algorithm>
#include <map>

#include <spdlog/spdlog.h>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// A static object not seen for this long is forgotten. Passers-by hide it or merge with it
/// in the static map for a few seconds at a time; its owner and timer must survive that.
constexpr double kForgetAfterS = 15.0;
/// Attendance must last this long to reset the unattended time: a passer-by brushing past
/// the object, or merging with it for a frame, does not.
constexpr double kAttendedForS = 2.0;
/// A left object reaches the static map only once the fast background has absorbed it, a few
/// seconds after it was put down, when its owner may already be walking away: people who
/// stopped there this recently are still candidates for owner.
constexpr double kOwnerMemoryS = 6.0;
/// Slower than this (m/s), a track has stopped, as someone putting something down does.
constexpr double kStoppedSpeedMS = 0.5;
/// ... for this long (s): putting something down takes a moment; a stride's jitter does not.
constexpr double kStoppedForS = 1.0;

/// A static shape this wide (in standing heights at its place) is a person lying across.
constexpr double kLyingWidth = 0.6;
/// A shape holding this share of a known object's box...
constexpr double kShadowHoldsObject = 0.8;
/// ... and rising at most this much (standing heights) above it is the object in its shadow,
constexpr double kShadowRiseOverObject = 0.2;
/// ... once the object is known: seen on its own this long (s). Only a known object is
/// reported left.
constexpr double kKnownObjectS = 5.0;
/// Sightings further apart than this (s) count as this much: the object was hidden between.
constexpr double kMaxGapS = 1.0;
/// What lies within this gap (standing heights at its place) of something already reported
/// left is part of it, whoever the static map credits it to: the owner is a guess from
/// who stopped nearby, and a bag's shadow piece may be given a passer-by who paused there.
constexpr double kBesideLeftGap = 0.25;

enum class StaticKind { kObject, kPerson, kOther };

/// Bags are small next to a standing person at the same place; people are not.
StaticKind classify(const perceive::Blob& b, double person_h) {
  if (b.box.height >= 0.45 * person_h) return StaticKind::kPerson;  // standing or sitting
  if (b.box.width >= kLyingWidth * person_h) return StaticKind::kPerson;
  if (b.box.height < 0.08 * person_h || b.box.width < 0.08 * person_h) return StaticKind::kOther;
  return StaticKind::kObject;
}

class AbandonedObjectRule final : public SituationRule<config::AbandonedObjectParams> {
 public:
  using SituationRule::SituationRule;

 private:
  struct StaticObject {
    int id = 0;
    cv::Rect2d box;
    double first_seen = 0;
    double last_seen = 0;
    double alone_s = 0;  ///< how long it has been seen as an object on its own
    std::optional<track::TrackId> owner;
    std::optional<double> unattended_since;
    std::optional<double> attended_since;
  };

  void detect(const Scene& scene) override {
    const auto zones = geometry_.zones_for(rule_);
    remember_stops(scene);
    std::vector<const perceive::Blob*> people_still;
    for (const perceive::Blob& b : scene.static_objects) {
      const double h = person_height_at(scene, b.foot);
      const StaticKind kind = classify(b, h);
      spdlog::trace("static t={:.1f} box=[{:.0f},{:.0f},{:.0f},{:.0f}] person_h={:.0f} kind={}",
                    scene.t, b.box.x, b.box.y, b.box.width, b.box.height, h,
                    static_cast<int>(kind));
      if (kind == StaticKind::kPerson) {
        people_still.push_back(&b);
        keep_seen_in_shadow(b, h, scene.t);
      }
      if (kind != StaticKind::kObject) continue;
      if (touches_border(b.box, scene.source_size)) continue;
      if (!rule_.zones.empty() && zone_containing(zones, b.foot) == nullptr) continue;
      StaticObject& o = match(b, scene);
      if (o.last_seen > 0) o.alone_s += std::min(scene.t - o.last_seen, kMaxGapS);
      o.last_seen = scene.t;
    }
    std::map<track::TrackId, Left> left;
    for (auto it = objects_.begin(); it != objects_.end();) {
      StaticObject& o = *it;
      if (scene.t - o.last_seen > kForgetAfterS) {
        it = objects_.erase(it);
        continue;
      }
      update_attendance(scene, o, people_still);
      spdlog::trace("object {} t={:.1f} x={:.0f} y={:.0f} owner={} unattended_since={:.1f}", o.id,
                    scene.t, o.box.x, o.box.y, o.owner ? static_cast<long>(*o.owner) : -1L,
                    o.unattended_since.value_or(-1));
      // A shape seen on its own for only a frame now and then (passers-by pausing on the
      // same spot, light on the paving) is no object left there, however long ago it first
      // showed: it must have been seen long enough to be known.
      if (has_owner(o) && o.unattended_since && o.last_seen == scene.t &&
          o.alone_s >= kKnownObjectS) {
        // With a detector: a bag confirms; a person there (curled up, sitting on the ground)
        // is not an object; nothing seen leaves the classical decision. Asked while the
        // unattended time runs, so that the answer is there when it ends.
        const Gate g = is_open(situation_key(*o.owner))
                           ? Gate{}
                           : gate(scene, "object-" + std::to_string(o.id), o.box,
                                  DetectionRole::kBag, DetectionRole::kPerson, false);
        if (scene.t - *o.unattended_since >= params_.unattended_s && g.report) {
          Left& l = left[*o.owner];
          include(l.box, o.box);
          if (!g.model_hash.empty()) l.model_hash = g.model_hash;
        }
      }
      ++it;
    }
    // One situation per owner: a bag and the piece of its shadow the static map holds apart,
    // or two bags put down together, are one alert over all they left; and what lies against
    // a situation already reported joins it, whoever it is credited to.
    std::erase_if(reported_, [&](const auto& entry) { return !is_open(entry.first); });
    for (const auto& [owner, l] : left) {
      const Point base(l.box.x + l.box.width / 2, l.box.y + l.box.height);
      const ZoneGeometry* z = zone_containing(zones, base);
      const std::string key =
          beside_reported(l.box, person_height_at(scene, base)).value_or(situation_key(owner));
      cv::Rect2d& region = reported_[key];
      include(region, l.box);
      report(key, z != nullptr ? z->id : "", scene, 0.8, region, {}, l.model_hash);
    }
  }

  /// The open situation whose region lies within kBesideLeftGap of `box`, if any.
  std::optional<std::string> beside_reported(const cv::Rect2d& box, double person_h) const {
    const double gap = kBesideLeftGap * person_h;
    const cv::Rect2d near(box.x - gap, box.y - gap, box.width + 2 * gap, box.height + 2 * gap);
    for (const auto& [key, region] : reported_) {
      if ((near & region).area() > 0) return key;
    }
    return std::nullopt;
  }

  struct Left {
    cv::Rect2d box;  ///< around every object the owner left unattended long enough
    std::string model_hash;
  };

  static std::string situation_key(track::TrackId owner) {
    return "left-by-" + std::to_string(owner);
  }

  /// When the light hardens, an object's own shadow (and the tip of a bench's it lies by)
  /// stands out of the slow background and joins it into one shape, often too wide for a
  /// bag. A shape that holds an object seen on its own for a while, rises little above it
  /// and adds less than a person lying across to its width is that object in its shadow:
  /// still seen, its box kept. Someone sitting or standing by it rises above it; someone
  /// lying by it is wider; a scrap of clutter that a passer-by's shape holds is not known.
  void keep_seen_in_shadow(const perceive::Blob& b, double person_h, double t) {
    for (StaticObject& o : objects_) {
      if (o.alone_s < kKnownObjectS) continue;
      if ((o.box & b.box).area() < kShadowHoldsObject * o.box.area()) continue;
      if (b.box.y < o.box.y - kShadowRiseOverObject * person_h) continue;
      if (b.box.width - o.box.width >= kLyingWidth * person_h) continue;
      o.last_seen = t;
    }
  }

  StaticObject& match(const perceive::Blob& b, const Scene& scene) {
    for (StaticObject& o : objects_) {
      const Point a(o.box.x + o.box.width / 2, o.box.y + o.box.height / 2);
      const Point c(b.box.x + b.box.width / 2, b.box.y + b.box.height / 2);
      const double near = 0.5 * std::max({o.box.width, o.box.height, b.box.width, b.box.height});
      if (iou(o.box, b.box) >= 0.2 || cv::norm(a - c) <= near) {
        o.box = b.box;
        return o;
      }
    }
    StaticObject o;
    o.id = next_id_++;
    o.box = b.box;
    o.first_seen = scene.t;
    // The owner is the person nearest to where the object appeared, if one is close.
    double best = params_.owner_distance_m;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      const double d = ground_distance_m(scene, t.foot, b.foot);
      if (d <= best) {
        best = d;
        o.owner = t.id;
      }
    }
    // Else whoever stopped there shortly before, most recent first.
    for (auto it = stops_.rbegin(); it != stops_.rend() && !o.owner; ++it) {
      if (ground_distance_m(scene, it->foot, b.foot) <= params_.owner_distance_m) o.owner = it->id;
    }
    objects_.push_back(o);
    return objects_.back();
  }

  void remember_stops(const Scene& scene) {
    std::erase_if(stops_, [&](const Stop& s) { return scene.t - s.t > kOwnerMemoryS; });
    std::map<track::TrackId, double> slow_since;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      if (ground_speed_m_s(scene, t) > kStoppedSpeedMS) continue;
      const auto it = slow_since_.find(t.id);
      const double since = it == slow_since_.end() ? scene.t : it->second;
      slow_since[t.id] = since;
      if (scene.t - since >= kStoppedForS) stops_.push_back({scene.t, t.foot, t.id});
    }
    slow_since_ = std::move(slow_since);
  }

  /// An object counts only if someone was there when it appeared: things that appear alone
  /// are lighting, not luggage.
  static bool has_owner(const StaticObject& o) { return o.owner.has_value(); }

  void update_attendance(const Scene& scene, StaticObject& o,
                         const std::vector<const perceive::Blob*>& people_still) {
    if (!has_owner(o)) return;
    const Point base(o.box.x + o.box.width / 2, o.box.y + o.box.height);
    bool attended = false;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      // Only the owner attends: a stranger standing by does not make a bag attended.
      if (t.id != *o.owner) continue;
      if (ground_distance_m(scene, t.foot, base) <= params_.owner_distance_m) attended = true;
    }
    // Someone standing or sitting still next to it is attending it (tracks fade when people
    // stop moving, the static map keeps them).
    for (const perceive::Blob* p : people_still) {
      // The object merged with its own shadow or a bench is not a person beside it.
      if ((p->box & o.box).area() > 0.5 * o.box.area()) continue;
      if (ground_distance_m(scene, p->foot, base) <= params_.owner_distance_m) attended = true;
    }
    if (attended) {
      if (!o.attended_since) o.attended_since = scene.t;
      if (scene.t - *o.attended_since >= kAttendedForS || !o.unattended_since) {
        o.unattended_since.reset();
      }
    } else {
      o.attended_since.reset();
      if (!o.unattended_since) o.unattended_since = scene.t;
    }
  }

  struct Stop {
    double t = 0;
    Point foot;
    track::TrackId id = 0;
  };
  std::vector<Stop> stops_;  ///< where tracks stood still recently, oldest first
  std::map<track::TrackId, double> slow_since_;  ///< live tracks below the stopped speed, since
  std::vector<StaticObject> objects_;
  /// Situations open, or reported earlier this frame, with all they cover; the others are
  /// dropped at the next frame's reports.
  std::map<std::string, cv::Rect2d> reported_;
  int next_id_ = 1;
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::AbandonedObjectParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<AbandonedObjectRule>(rule, geometry, context);
}

}  // namespace vigie::rules
