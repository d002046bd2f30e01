// density: persons per m² in a zone, from how much of the zone's "body region" (the pixels a
// person standing in the zone could cover: the zone extruded upwards by a person's height)
// is foreground. People overlap more as a crowd packs, so area alone saturates; the Boolean
// coverage model of randomly placed silhouettes, c = 1 - exp(-n a / R), is inverted instead:
// n = -(R / a) ln(1 - c), where each pixel is weighted by the expected silhouette area a at
// its place so near and far people count alike. Standing crowds stay counted: the foreground
// used includes what the slow model holds where a static shape is, or was in the last
// seconds (the held reading); the strict reading, without those recent places, confirms an
// alert before it is raised (docs/rules.md).
//
// With a detector, the zone's people are also counted from time to time. Each detection is a
// person, so the count is a floor under the area estimate; and at low coverage, where people
// seldom hide each other, the detector sees each one and its count replaces the estimate,
// which there is most easily swayed by shadows, bags and stray foreground.

#include <algorithm>
#include <cmath>
#include <map>
#include <optional>

#include <spdlog/spdlog.h>
#include <opencv2/imgproc.hpp>

#include "rules/rules_impl.hpp"

namespace vigie::rules {
namespace {

/// Foreground area one standing adult leaves, as a fraction of height²: about 0.84 m² at
/// 1.7 m, half again the bare silhouette's 0.19 h², for the margin the background models'
/// cleaning adds around a body and the shadow at its feet. Fitted on the development scenes
/// (gatherings of 20 to 28 people in 5 m²).
constexpr double kSilhouetteAreaPerHeight2 = 0.29;
/// The body region reaches this fraction of a person's height above the zone: legs and torso,
/// which pack solid in a crowd, not heads and shoulders, which leave gaps.
constexpr double kBodyFraction = 0.6;
/// Below this coverage of the body region silhouettes seldom overlap (about one person per
/// m² at the defaults): a detector's count is the count.
constexpr double kCountableCoverage = 0.3;

class DensityRule final : public SituationRule<config::DensityParams> {
 public:
  using SituationRule::SituationRule;

 private:
  struct ZoneModel {
    cv::Mat weight;       ///< CV_32F at analysis size: persons per pixel in the body region
    double capacity = 0;  ///< sum of weight: silhouettes that tile the body region once
    double area_m2 = 0;
    cv::Rect2d count_region;  ///< source pixels: the zone and the bodies standing in it
    std::optional<std::uint64_t> count_request;
    double count_asked_t = -1e9;
    std::optional<int> count;  ///< persons the detector saw standing in the zone
    double count_t = 0;        ///< when
    double strict_since = 0;   ///< since when the strict reading is at the alert level
    double strict_last = -1e9;  ///< when it last was
  };

  /// Before an alert, the strict reading must have stayed at the alert level for this share
  /// of the inertia the held reading stays there.
  static constexpr double kStrictShareOfInertia = 0.5;
  /// Coverage above this is treated as this: beyond it the model only amplifies noise.
  static constexpr double kMaxCoverage = 0.97;

  void detect(const Scene& scene) override {
    if (scene.foreground == nullptr || scene.foreground->empty()) return;
    const cv::Mat& held_fg =
        scene.foreground_held != nullptr ? *scene.foreground_held : *scene.foreground;
    for (const ZoneGeometry* z : geometry_.zones_for(rule_)) {
      ZoneModel& m = model(scene, *z);
      if (m.area_m2 <= 0 || m.capacity <= 0) continue;
      const Reading strict = read(m, *scene.foreground);
      const Reading held = &held_fg == scene.foreground ? strict : read(m, held_fg);
      std::optional<int> count;
      if (scene.detector != nullptr)
        count = recount(scene, *scene.detector, *z, m, strict.estimate);
      const Persons persons = with_count(held, count);
      const double density = persons.n / m.area_m2;
      const double strict_density = with_count(strict, count).n / m.area_m2;
      spdlog::trace(
          "density {} t={:.1f} coverage={:.2f} persons={:.1f} area={:.1f} m2 density={:.2f} "
          "strict={:.2f} count={}",
          z->id, scene.t, held.coverage, persons.n, m.area_m2, density, strict_density,
          count.value_or(-1));
      // Since when the strict reading is at the alert level: a gap as long as the inertia's
      // tolerance restarts it when the reading comes back.
      const double gap = inertia_gap_s(rule_.inertia_s);
      if (strict_density >= params_.alert_per_m2) {
        if (scene.t - m.strict_last >= gap) m.strict_since = scene.t;
        m.strict_last = scene.t;
      }
      const bool strict_holds = strict_density >= params_.alert_per_m2 &&
                                scene.t - m.strict_since >= kStrictShareOfInertia * rule_.inertia_s;
      // Hysteresis: an alert is raised once the density has stayed above the alert level
      // for the inertia, and stays until the density falls below the level halfway down to
      // the warning level. Before the alert, only the alert level counts: a reading that
      // touched it once and hovered below would otherwise raise an alert after the inertia.
      // The density read with recent static places held reads a forming crowd whole, but
      // where people are tall in the image compared with the zone's depth it can fill the
      // body region before the crowd is there; so the alert is raised only while the strict
      // reading, which lags a forming crowd but does not run ahead of it, has also stayed
      // at the alert level for half the inertia.
      const double stay = params_.warn_per_m2 + 0.5 * (params_.alert_per_m2 - params_.warn_per_m2);
      if (density >= (is_open(z->id) ? stay : params_.alert_per_m2)) {
        report(z->id, z->id, scene, std::min(1.0, density / (2 * params_.alert_per_m2) + 0.5),
               bounding_box(z->polygon),
               fmt::format("{:.1f} persons/m² ({:.0f} persons over {:.1f} m²{})", density,
                           persons.n, m.area_m2, persons.counted ? ", detector count" : ""),
               persons.counted ? scene.detector->model_hash() : std::string(), strict_holds);
      }
    }
  }

  /// One area estimate of the zone's people.
  struct Reading {
    double coverage = 0;  ///< of the body region, weighted, capped at kMaxCoverage
    double estimate = 0;  ///< persons
  };

  static Reading read(const ZoneModel& m, const cv::Mat& foreground) {
    cv::Mat fg;
    foreground.convertTo(fg, CV_32F, 1.0 / 255.0);
    const double coverage = std::min(kMaxCoverage, fg.dot(m.weight) / m.capacity);
    return {coverage, -m.capacity * std::log(1.0 - coverage)};
  }

  struct Persons {
    double n = 0;
    bool counted = false;  ///< n came from the detector's count
  };

  /// The persons to use, given an area reading and the detector's latest count (if any).
  static Persons with_count(const Reading& r, std::optional<int> count) {
    if (!count) return {r.estimate, false};
    const auto n = static_cast<double>(*count);
    if (r.coverage < kCountableCoverage) return {n, true};
    return n > r.estimate ? Persons{n, true} : Persons{r.estimate, false};
  }

  /// The detector's part: asks for a count of the zone every recheck_s while anyone may be
  /// there, and returns its latest count while it is fresh.
  static std::optional<int> recount(const Scene& scene, DetectorLink& link, const ZoneGeometry& z,
                                    ZoneModel& m, double estimate) {
    const DetectorPolicy& policy = link.policy();
    const bool anyone = estimate >= 0.5 || m.count.value_or(0) > 0;
    // Asked before fresh() is read: in synchronous mode the answer comes back at once.
    if (anyone && scene.t - m.count_asked_t >= policy.recheck_s) {
      if (auto id = link.scan(m.count_region, scene.t, DetectorPurpose::kCount)) {
        m.count_request = id;
        m.count_asked_t = scene.t;
      }
    }
    for (const DetectorAnswer& a : link.fresh()) {
      if (a.id != m.count_request) continue;
      // Feet in the zone: someone standing behind it shows above it, not in it.
      m.count =
          static_cast<int>(std::count_if(a.found.begin(), a.found.end(), [&](const Detection& d) {
            return d.role == DetectionRole::kPerson &&
                   polygon_contains(z.polygon, {d.box.x + d.box.width / 2, d.box.y + d.box.height});
          }));
      m.count_t = a.t;
    }
    if (!m.count || scene.t - m.count_t > policy.recheck_s + policy.confirm_timeout_s) return {};
    return m.count;
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
        // In the body region when a foot in the zone lies at most a person's height below.
        const double h = person_height_at(scene, p);
        std::optional<double> foot_h;
        for (int k = 0; k <= 8 && !foot_h; ++k) {
          const Point foot(p.x, p.y + kBodyFraction * h * k / 8.0);
          if (polygon_contains(z.polygon, foot)) foot_h = person_height_at(scene, foot);
        }
        if (!foot_h) continue;
        m.weight.at<float>(y, x) = static_cast<float>(
            s * s / (kBodyFraction * kSilhouetteAreaPerHeight2 * *foot_h * *foot_h));
      }
    }
    m.capacity = cv::sum(m.weight)[0];
    // Whole persons, feet in the zone: up to a person's height above its far edge.
    const cv::Rect2d b = bounding_box(z.polygon);
    const double top_h = person_height_at(scene, {b.x + b.width / 2, b.y});
    m.count_region = cv::Rect2d(b.x, b.y - top_h, b.width, b.height + top_h) &
                     cv::Rect2d(0, 0, scene.source_size.width, scene.source_size.height);
    if (scene.scale != nullptr && scene.scale->ground()) {
      std::vector<Point> ground;
      for (const Point& p : z.polygon) ground.push_back(scene.scale->ground()->to_ground(p));
      m.area_m2 = std::abs(signed_area(ground));
    } else {
      // Uncalibrated: metres from the expected person height at the zone's centre; rough
      // where the ground is strongly foreshortened, which calibration fixes.
      const double ppm = person_height_at(scene, {b.x + b.width / 2, b.y + b.height / 2}) / 1.7;
      m.area_m2 = std::abs(signed_area(z.polygon)) / (ppm * ppm);
    }
    return m;
  }

  std::map<std::string, ZoneModel> models_;
};

}  // namespace

std::unique_ptr<Rule> make_rule_of(const config::DensityParams& /*params*/,
                                   const config::RuleConfig& rule, const CameraGeometry& geometry,
                                   const RuleContext& context) {
  return std::make_unique<DensityRule>(rule, geometry, context);
}

}  // namespace vigie::rules
