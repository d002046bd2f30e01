// density: persons per m² in a zone, estimated from foreground area. Each foreground pixel
// counts as a share of the person whose feet would stand half a body below it, weighted by
// that person's expected silhouette area at that place, so near and far people count alike.
// Standing crowds stay counted: the foreground used includes the static map.

#include <cmath>
#include <map>

#include <opencv2/imgproc.hpp>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// Silhouette area of a standing adult, as a fraction of height² (about 0.55 m² at 1.7 m).
constexpr double kSilhouetteAreaPerHeight2 = 0.19;

class DensityRule final : public SituationRule {
 public:
  using SituationRule::SituationRule;

 private:
  struct ZoneModel {
    cv::Mat weight;  ///< CV_32F at analysis size: persons per foreground pixel; 0 outside
    double area_m2 = 0;
    bool alerting = false;
  };

  void detect(const Scene& scene) override {
    if (scene.foreground == nullptr || scene.foreground->empty()) return;
    for (const ZoneGeometry* z : geometry_.zones_for(rule_)) {
      ZoneModel& m = model(scene, *z);
      if (m.area_m2 <= 0) continue;
      cv::Mat fg;
      scene.foreground->convertTo(fg, CV_32F, 1.0 / 255.0);
      const double persons = fg.dot(m.weight);
      const double density = persons / m.area_m2;
      last_density_[z->id] = density;
      // Hysteresis: alert above the alert level, stay until below the level halfway down to
      // the warning level.
      const double stay = rule_.warn_per_m2 + 0.5 * (rule_.alert_per_m2 - rule_.warn_per_m2);
      m.alerting = density >= rule_.alert_per_m2 || (m.alerting && density >= stay);
      if (m.alerting) {
        report(z->id, z->id, scene, std::min(1.0, density / (2 * rule_.alert_per_m2) + 0.5),
               bounding_box(z->polygon));
      }
    }
  }

  ZoneModel& model(const Scene& scene, const ZoneGeometry& z) {
    auto [it, fresh] = models_.try_emplace(z.id);
    if (!fresh) return it->second;
    ZoneModel& m = it->second;
    const cv::Size size = scene.foreground->size();
    m.weight = cv::Mat::zeros(size, CV_32F);
    const double s = scene.to_source;
    for (int y = 0; y < size.height; ++y) {
      for (int x = 0; x < size.width; ++x) {
        const Point p((x + 0.5) * s, (y + 0.5) * s);
        const double h = person_height_at(scene, p);
        const Point foot(p.x, p.y + 0.5 * h);
        if (!polygon_contains(z.polygon, foot)) continue;
        const double hf = person_height_at(scene, foot);
        m.weight.at<float>(y, x) = static_cast<float>(s * s / (kSilhouetteAreaPerHeight2 * hf * hf));
      }
    }
    if (scene.scale != nullptr && scene.scale->ground()) {
      std::vector<Point> ground;
      for (const Point& p : z.polygon) ground.push_back(scene.scale->ground()->to_ground(p));
      m.area_m2 = std::abs(signed_area(ground));
    } else {
      // Uncalibrated: metres from the expected person height at the zone's centre; rough
      // where the ground is strongly foreshortened, which calibration fixes.
      const cv::Rect2d b = bounding_box(z.polygon);
      const double ppm = person_height_at(scene, {b.x + b.width / 2, b.y + b.height / 2}) / 1.7;
      m.area_m2 = std::abs(signed_area(z.polygon)) / (ppm * ppm);
    }
    return m;
  }

  std::map<std::string, ZoneModel> models_;
  std::map<std::string, double> last_density_;
};

}  // namespace

std::unique_ptr<Rule> make_density_rule(const config::RuleConfig& rule,
                                        const CameraGeometry& geometry,
                                        const RuleContext& context) {
  return std::make_unique<DensityRule>(rule, geometry, context);
}

}  // namespace vigie::rules
