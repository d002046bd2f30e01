#include "rules/scene.hpp"

#include <algorithm>
#include <cmath>

namespace vigie::rules {

double person_height_at(const Scene& scene, Point foot) {
  if (scene.scale != nullptr) {
    if (auto h = scene.scale->person_height_px(foot)) return *h;
  }
  return std::max(20.0, scene.source_size.height / 5.0);
}

double ground_speed_m_s(const Scene& scene, const track::Track& t) {
  return t.ground_speed_m_s.value_or(cv::norm(t.velocity_px_s) / person_height_at(scene, t.foot) *
                                     1.7);
}

double ground_distance_m(const Scene& scene, Point a, Point b) {
  if (scene.scale != nullptr && scene.scale->ground()) {
    const Point ga = scene.scale->ground()->to_ground(a);
    const Point gb = scene.scale->ground()->to_ground(b);
    const double d = std::hypot(ga.x - gb.x, ga.y - gb.y);
    if (std::isfinite(d)) return d;
  }
  const double h = person_height_at(scene, (a + b) * 0.5);
  return std::hypot(a.x - b.x, a.y - b.y) / h * 1.7;
}

double foreground_share(const Scene& scene, const cv::Rect2d& box) {
  if (scene.foreground == nullptr || scene.foreground->empty()) return 0;
  const double s = scene.to_source;
  const cv::Rect r = cv::Rect(static_cast<int>(box.x / s), static_cast<int>(box.y / s),
                              static_cast<int>(std::ceil(box.width / s)),
                              static_cast<int>(std::ceil(box.height / s))) &
                     cv::Rect(0, 0, scene.foreground->cols, scene.foreground->rows);
  if (r.area() == 0) return 0;
  return cv::countNonZero((*scene.foreground)(r)) / static_cast<double>(r.area());
}

CameraGeometry CameraGeometry::from(const config::CameraConfig& camera, cv::Size source_size) {
  CameraGeometry g;
  g.source_size = source_size;
  for (std::size_t i = 0; i < camera.zones.size(); ++i) {
    const auto& z = camera.zones[i];
    g.zones.push_back({z.id, z.polygon, z.allowed_direction, i});
  }
  for (const auto& l : camera.lines) g.lines.push_back({l.id, l.a, l.b, l.direction});
  g.whole_image_flow = camera.zones.size();
  return g;
}

std::vector<const ZoneGeometry*> CameraGeometry::zones_for(const config::RuleConfig& rule) const {
  std::vector<const ZoneGeometry*> out;
  for (const auto& z : zones) {
    if (rule.zones.empty() ||
        std::find(rule.zones.begin(), rule.zones.end(), z.id) != rule.zones.end()) {
      out.push_back(&z);
    }
  }
  return out;
}

std::vector<const LineGeometry*> CameraGeometry::lines_for(const config::RuleConfig& rule) const {
  std::vector<const LineGeometry*> out;
  for (const auto& l : lines) {
    if (rule.zones.empty() ||
        std::find(rule.zones.begin(), rule.zones.end(), l.id) != rule.zones.end()) {
      out.push_back(&l);
    }
  }
  return out;
}

const ZoneGeometry* CameraGeometry::zone(const std::string& id) const {
  for (const auto& z : zones) {
    if (z.id == id) return &z;
  }
  return nullptr;
}

std::optional<Homography> ground_of(const config::CameraConfig& camera) {
  if (!camera.calibration) return std::nullopt;
  return Homography::from_points(camera.calibration->image, camera.calibration->ground);
}

perceive::PersonScale person_scale_of(const config::CameraConfig& camera) {
  std::vector<std::pair<std::vector<Point>, double>> heights;
  for (const auto& z : camera.zones) {
    if (z.person_height_px) heights.emplace_back(z.polygon, *z.person_height_px);
  }
  return perceive::PersonScale(ground_of(camera), std::move(heights));
}

bool is_reliable(const track::Track& t) {
  return t.state == track::TrackState::kConfirmed ||
         (t.state == track::TrackState::kLost && t.misses <= 2);
}

bool came_back(const track::Track& t, double t_s, double gap_s) {
  // The trajectory has a point per measured frame; the one before this frame's is when the
  // track was last measured (tracks end after max_coast_s, well within trajectory_s).
  const auto& path = t.trajectory;
  return t.measurement_index.has_value() && path.size() >= 2 &&
         t_s - path[path.size() - 2].t_s > gap_s;
}

cv::Rect2d measured_box(const Scene& scene, const track::Track& t) {
  if (!t.measurement_index || *t.measurement_index >= scene.moving.size()) return t.box;
  return scene.moving[*t.measurement_index].box;
}

bool touches_border(const cv::Rect2d& box, cv::Size image) {
  constexpr double kBorderPx = 3.0;
  return box.x <= kBorderPx || box.y <= kBorderPx || box.x + box.width >= image.width - kBorderPx ||
         box.y + box.height >= image.height - kBorderPx;
}

bool cut_by_frame(const Scene& scene, const track::Track& t) {
  return touches_border(t.box, scene.source_size) ||
         touches_border(measured_box(scene, t), scene.source_size);
}

bool is_gone(const Scene& scene, track::TrackId id) {
  return std::none_of(scene.tracks.begin(), scene.tracks.end(),
                      [&](const track::Track& t) { return t.id == id; });
}

}  // namespace vigie::rules
