// wrong_way: a track that covers min_displacement_m against its zone's allowed direction at
// min_speed_m_s or more; and, for dense crowds where tracks break, the zone's flow turning
// against the allowed direction.

#include <cmath>

#include <spdlog/spdlog.h>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// The displacement must be covered within this time: slower drifting is not walking.
constexpr double kWindowS = 6.0;
/// ... and over at least this time: a box that jumps as two walkers merge or part moves its
/// feet by metres in a frame or two, where the ground is foreshortened.
constexpr double kMinStretchS = 1.0;
/// ... and keep a person's proportions: the box's height against the standing height
/// expected at its feet may change by this factor at most. When a walker merges with
/// someone nearer the camera the feet jump down while the head stays; the box grows far
/// more than perspective allows.
constexpr double kMaxScaleChange = 1.5;
/// A crowd, for the flow variant: share of the zone's pixels moving.
constexpr double kCrowdMovingFraction = 0.15;

class WrongWayRule final : public SituationRule<config::WrongWayParams> {
 public:
  using SituationRule::SituationRule;

 private:
  void detect(const Scene& scene) override {
    const double cos_tol = std::cos(params_.tolerance_deg * CV_PI / 180.0);
    for (const ZoneGeometry* z : geometry_.zones_for(rule_)) {
      if (!z->allowed_direction) continue;
      const Point allowed = *z->allowed_direction * (1.0 / cv::norm(*z->allowed_direction));
      for (const track::Track& t : scene.tracks) {
        if (!is_reliable(t) || !polygon_contains(z->polygon, t.foot) || t.trajectory.size() < 3) {
          continue;
        }
        // A shape the frame cuts moves as the frame reveals it, not as it walks: a walker at
        // the edge of the view joined to a cloud's shadow coming in beside them was a box
        // whose feet ran down the walkway.
        if (cut_by_frame(scene, t)) continue;
        // The most recent stretch of min_displacement_m: where the person is heading now,
        // not where they came from (a walker turning into the zone).
        const track::TrajectoryPoint& end = t.trajectory.back();
        const track::TrajectoryPoint* start = nullptr;
        for (auto it = t.trajectory.rbegin(); it != t.trajectory.rend(); ++it) {
          if (end.t_s - it->t_s > kWindowS) break;
          if (end.t_s - it->t_s < kMinStretchS) continue;
          if (ground_distance_m(scene, it->foot, end.foot) >= params_.min_displacement_m) {
            start = &*it;
            break;
          }
        }
        if (start == nullptr || !keeps_proportions(scene, *start, end)) continue;
        const Point move = end.foot - start->foot;
        const double dt = end.t_s - start->t_s;
        const double moved_px = cv::norm(move);
        if (dt <= 0 || moved_px <= 0) continue;
        // Direction is judged in the image (where the allowed arrow is drawn); distance and
        // speed on the ground.
        const double against = -move.dot(allowed) / moved_px;
        if (against < cos_tol) continue;
        const double metres = ground_distance_m(scene, start->foot, end.foot);
        spdlog::trace(
            "wrong_way {} t={:.1f} track {} box=[{:.0f},{:.0f},{:.0f},{:.0f}] {:.1f} m in "
            "{:.1f} s against={:.2f} points={}",
            z->id, scene.t, t.id, t.box.x, t.box.y, t.box.width, t.box.height, metres, dt, against,
            t.trajectory.size());
        if (metres / dt < params_.min_speed_m_s) continue;
        // With a detector, only persons walk the wrong way: not a shadow, a light or a car.
        const Gate g = is_open(z->id) ? Gate{}
                                      : gate(scene, track_key(t.id), t.box,
                                             DetectionRole::kPerson, DetectionRole::kOther, true);
        if (!g.report) continue;
        report(z->id, z->id, scene, std::min(1.0, 0.5 + 0.5 * against), t.box,
               "against the direction", g.model_hash);
      }
      detect_crowd(scene, *z, allowed, cos_tol);
    }
  }

  static bool keeps_proportions(const Scene& scene, const track::TrajectoryPoint& a,
                                const track::TrajectoryPoint& b) {
    const double scale_a = a.height_px / person_height_at(scene, a.foot);
    const double scale_b = b.height_px / person_height_at(scene, b.foot);
    if (scale_a <= 0 || scale_b <= 0) return false;
    return std::max(scale_a, scale_b) <= kMaxScaleChange * std::min(scale_a, scale_b);
  }

  void detect_crowd(const Scene& scene, const ZoneGeometry& z, Point allowed, double cos_tol) {
    if (z.flow_index >= scene.flows.size()) return;
    const perceive::ZoneFlow& f = scene.flows[z.flow_index];
    if (f.moving_fraction < kCrowdMovingFraction) return;
    double against = 0;
    for (std::size_t k = 0; k < f.direction_histogram.size(); ++k) {
      const double a = (static_cast<double>(k) + 0.5) * CV_PI / 4;
      if (-(std::cos(a) * allowed.x + std::sin(a) * allowed.y) >= cos_tol) {
        against += f.direction_histogram[k];
      }
    }
    if (against < 0.6) return;
    const cv::Rect2d box = bounding_box(z.polygon);
    report(z.id, z.id, scene, std::min(1.0, against), box);
  }
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::WrongWayParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<WrongWayRule>(rule, geometry, context);
}

}  // namespace vigie::rules
