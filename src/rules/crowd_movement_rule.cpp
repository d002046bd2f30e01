// crowd_movement: a sudden change of a zone's flow against its rolling baseline. A rush is a
// large share of the moving crowd running; a dispersal is the crowd spreading out fast; a
// surge is the crowd closing in fast. A crowd standing still, or walking steadily, is none.

#include <cmath>
#include <map>

#include <spdlog/spdlog.h>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// Time constant of the baseline: what "usual" means for this zone.
constexpr double kBaselineS = 30.0;
/// Share of the starting thresholds that keeps a movement under way going.
constexpr double kHoldFactor = 0.5;
/// Image area of one person's silhouette, as a share of height²: a walker's bounding box is
/// about 0.35 h wide, and the body fills about two thirds of it.
constexpr double kSilhouetteBoxShare = 0.25;

class CrowdMovementRule final : public SituationRule<config::CrowdMovementParams> {
 public:
  using SituationRule::SituationRule;

 private:
  struct Baseline {
    double fast = 0;
    double divergence = 0;
    double last_t = -1;
    bool moving = false;  ///< a movement was seen on the zone's previous frame
  };

  void detect(const Scene& scene) override {
    auto zones = geometry_.zones_for(rule_);
    if (zones.empty() || rule_.zones.empty()) {
      check(scene, "", geometry_.whole_image_flow, {}, nullptr);
    }
    for (const ZoneGeometry* z : zones) check(scene, z->id, z->flow_index, z->polygon, z);
  }

  void check(const Scene& scene, const std::string& zone, std::size_t flow_index,
             const std::vector<Point>& polygon, const ZoneGeometry* z) {
    if (flow_index >= scene.flows.size()) return;
    const perceive::ZoneFlow& f = scene.flows[flow_index];
    double people = 0;
    cv::Rect2d region;
    for (const track::Track& t : scene.tracks) {
      if (t.state == track::TrackState::kTentative) continue;
      if (z != nullptr && !polygon_contains(polygon, t.foot)) continue;
      ++people;
      include(region, t.box);
    }
    const std::vector<Point> area = polygon.empty() ? image_polygon() : polygon;
    if (region.area() <= 0) region = bounding_box(area);
    // People moving together merge into a few blobs and tracks; the moving area, in
    // silhouettes at the zone's middle, counts them better.
    const cv::Rect2d box = bounding_box(area);
    const double h = person_height_at(scene, {box.x + box.width / 2, box.y + box.height / 2});
    people = std::max(
        people, f.moving_fraction * std::abs(signed_area(area)) / (kSilhouetteBoxShare * h * h));
    Baseline& b = baselines_[zone];
    spdlog::trace(
        "crowd {} t={:.1f} people={:.1f} fast={:.2f} (base {:.2f}) div={:.3f} (base {:.3f}) "
        "moving={:.2f} speed={:.2f}",
        zone, scene.t, people, f.fast_fraction, b.fast, f.divergence, b.divergence,
        f.moving_fraction, f.mean_speed);
    // Hysteresis: a movement under way goes on at half the thresholds that started it, as
    // the running crowd thins out, slows and leaves the zone.
    const double k = b.moving ? kHoldFactor : 1.0;
    const bool crowd = people >= k * params_.min_crowd_persons;
    // Spreading out or closing in at a stroll is a crowd forming or leaving; it is a
    // movement of the crowd only when brisk (half of running speed, where metres are known).
    const bool brisk = !f.metric || f.mean_speed >= k * 0.5 * params_.running_speed_m_s;
    const bool rush = crowd && f.fast_fraction >= k * params_.rush_fraction &&
                      f.fast_fraction >= 2 * b.fast + 0.1;
    const bool dispersal = crowd && brisk && f.divergence >= k * params_.dispersal_divergence &&
                           f.divergence >= 2 * std::max(0.0, b.divergence) + 0.05;
    const bool surge = crowd && brisk && f.divergence <= -k * params_.dispersal_divergence &&
                       f.divergence <= 2 * std::min(0.0, b.divergence) - 0.05;
    b.moving = rush || dispersal || surge;
    if (b.moving) {
      const double score = std::min(1.0, 0.5 + f.fast_fraction + std::abs(f.divergence));
      report(zone.empty() ? "image" : zone, zone, scene, score, region,
             rush ? "rush" : (dispersal ? "dispersal" : "surge"));
      return;  // the baseline learns only ordinary movement
    }
    if (f.moving_fraction <= 0) return;  // nothing moves: nothing to learn
    const double dt = b.last_t < 0 ? 0 : scene.t - b.last_t;
    const double a = b.last_t < 0 ? 1.0 : std::min(1.0, dt / kBaselineS);
    b.fast += (f.fast_fraction - b.fast) * a;
    b.divergence += (f.divergence - b.divergence) * a;
    b.last_t = scene.t;
  }

  std::vector<Point> image_polygon() const {
    const double w = geometry_.source_size.width, h = geometry_.source_size.height;
    return {{0, 0}, {w, 0}, {w, h}, {0, h}};
  }

  std::map<std::string, Baseline> baselines_;
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::CrowdMovementParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<CrowdMovementRule>(rule, geometry, context);
}

}  // namespace vigie::rules
