#include "synth/scene.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "synth/effects.hpp"
#include "synth/layout.hpp"
#include "synth/scenarios.hpp"

namespace vigie::synth {
namespace {

constexpr double kBagW = 0.45, kBagD = 0.25, kBagH = 0.35;

cv::Point fx(cv::Point2d p) {
  return {static_cast<int>(std::lround(p.x * 8)), static_cast<int>(std::lround(p.y * 8))};
}

cv::Rect2d clip(const cv::Rect2d& r, cv::Size size) {
  return r & cv::Rect2d(0, 0, size.width, size.height);
}

}  // namespace

struct Scene::Impl {
  std::string name;
  std::uint64_t seed = 0;
  RenderOptions options;
  CameraModel camera;
  ScenarioScript script;
  cv::Mat background;
  std::unique_ptr<Effects> effects;
  BodyRenderer body{camera};
  int frames = 0;
  std::vector<EventTruth> events;
  config::CameraConfig camera_config;

  explicit Impl(cv::Size size) : camera(CameraModel::street(size)) {}

  [[nodiscard]] double time_of(int i) const { return i / options.fps; }

  [[nodiscard]] cv::Rect2d bag_box(const BagSpec& b) const {
    double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
    for (double dx : {-kBagW / 2, kBagW / 2})
      for (double dy : {-kBagD / 2, kBagD / 2})
        for (double z : {0.0, kBagH + 0.08}) {
          const cv::Point2d p = camera.project(b.ground.x + dx, b.ground.y + dy, z);
          x0 = std::min(x0, p.x - 1);
          y0 = std::min(y0, p.y - 1);
          x1 = std::max(x1, p.x + 1);
          y1 = std::max(y1, p.y + 1);
        }
    return {x0, y0, x1 - x0, y1 - y0};
  }

  void draw_bag(cv::Mat& img, const BagSpec& b) const {
    const double x0 = b.ground.x - kBagW / 2, x1 = b.ground.x + kBagW / 2;
    const double y0 = b.ground.y - kBagD / 2, y1 = b.ground.y + kBagD / 2;
    const double ppm = camera.pixels_per_metre(b.ground);
    darken_ellipse(img, camera.project_ground(b.ground + Point(0.2, 0.05)),
                   {kBagW * ppm * 0.8, kBagD * ppm * 0.4 + 1}, 0.5);
    const cv::Point top[4] = {fx(camera.project(x0, y0, kBagH)), fx(camera.project(x1, y0, kBagH)),
                              fx(camera.project(x1, y1, kBagH)), fx(camera.project(x0, y1, kBagH))};
    const cv::Point front[4] = {fx(camera.project(x0, y0, 0)), fx(camera.project(x1, y0, 0)),
                                fx(camera.project(x1, y0, kBagH)),
                                fx(camera.project(x0, y0, kBagH))};
    cv::fillConvexPoly(img, top, 4, cv::Scalar(55, 60, 80), cv::LINE_AA, 3);
    cv::fillConvexPoly(img, front, 4, cv::Scalar(40, 45, 60), cv::LINE_AA, 3);
    // handle
    cv::line(img, fx(camera.project(b.ground.x - 0.1, b.ground.y, kBagH)),
             fx(camera.project(b.ground.x + 0.1, b.ground.y, kBagH + 0.08)), cv::Scalar(25, 25, 30),
             std::max(1, static_cast<int>(ppm * 0.03)), cv::LINE_AA, 3);
  }

  [[nodiscard]] FrameTruth truth(int index) const {
    FrameTruth f;
    f.index = index;
    f.t = time_of(index);
    const cv::Size size = camera.image_size();
    for (size_t i = 0; i < script.people.size(); ++i) {
      const PersonScript& p = script.people[i];
      const PersonState st = p.at(f.t);
      if (!st.present) continue;
      const Point foot = st.ground;
      if (foot.y < 1.0) continue;  // behind or under the camera
      const cv::Rect2d box = clip(body.box(st, p.appearance()), size);
      if (box.width < 1.0 || box.height < 1.0) continue;
      f.persons.push_back({static_cast<int>(i), box, st.ground, st.pose});
    }
    return f;
  }

  [[nodiscard]] double density(int index) const {
    const double t = time_of(index);
    int n = 0;
    for (const PersonScript& p : script.people) {
      const PersonState st = p.at(t);
      if (st.present && layout::kDenseZone.contains(st.ground)) ++n;
    }
    return n / layout::kDenseZone.area();
  }

  void compute_events();
};

void Scene::Impl::compute_events() {
  const ScenarioScript& s = script;
  const double end = frames / options.fps;
  const cv::Size size = camera.image_size();
  auto add = [&](double start, double stop, cv::Rect2d region) {
    region = clip(region, size);
    region = cv::Rect2d(std::floor(region.x), std::floor(region.y),
                        std::ceil(region.br().x) - std::floor(region.x),
                        std::ceil(region.br().y) - std::floor(region.y));
    events.push_back({s.event_type, start, std::min(stop, end), region, s.note});
  };
  auto zone_box = [&]() {
    const auto poly = project_rect(camera, s.zone);
    std::vector<cv::Point2f> pts;
    for (const Point& p : poly) pts.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    return cv::Rect2d(cv::boundingRect(pts));
  };
  switch (s.rule) {
    case EventRule::kNone: break;
    case EventRule::kZoneTransit: {
      // Inside = the foot point lies in the zone polygon as the camera config draws it.
      const auto poly = project_rect(camera, s.zone);
      double start = -1;
      cv::Rect2d region;
      for (int i = 0; i <= frames; ++i) {
        const double t = time_of(i);
        const PersonState st = s.people[static_cast<size_t>(s.subject)].at(t);
        const bool inside =
            i < frames && st.present && polygon_contains(poly, camera.project_ground(st.ground));
        if (inside) {
          const cv::Rect2d b = body.box(st, s.people[static_cast<size_t>(s.subject)].appearance());
          region = start < 0 ? b : (region | b);
          if (start < 0) start = t;
        } else if (start >= 0) {
          add(start, t, region);
          start = -1;
        }
      }
      break;
    }
    case EventRule::kCrowdRush:
      if (s.event_time_s < end) add(s.event_time_s, s.event_time_s + 5.0, zone_box());
      break;
    case EventRule::kDensity: {
      double start = -1;
      for (int i = 0; i <= frames; ++i) {
        const bool dense = i < frames && density(i) > 4.0;
        if (dense && start < 0) start = time_of(i);
        if (!dense && start >= 0) {
          add(start, time_of(i), zone_box());
          start = -1;
        }
      }
      break;
    }
    case EventRule::kAbandoned: {
      const BagSpec& bag = s.bags.front();
      const PersonScript& owner = s.people[static_cast<size_t>(bag.owner)];
      for (int i = 0; i < frames; ++i) {
        const double t = time_of(i);
        if (t < bag.drop_s) continue;
        const PersonState st = owner.at(t);
        if (!st.present || cv::norm(st.ground - bag.ground) > 3.0) {
          add(t, end, bag_box(bag));
          break;
        }
      }
      break;
    }
    case EventRule::kLying: {
      const PersonScript& p = s.people[static_cast<size_t>(s.subject)];
      for (int i = 0; i < frames; ++i) {
        const PersonState st = p.at(time_of(i));
        if (st.present && st.pose == Pose::kLie) {
          add(time_of(i), end, body.box(st, p.appearance()));
          break;
        }
      }
      break;
    }
    case EventRule::kFire: {
      cv::Rect2d region;
      int first = -1;
      for (int i = 0; i < frames; ++i) {
        const cv::Rect2d b = effects->fire_box(time_of(i));
        if (b.width <= 0) continue;
        if (first < 0) first = i;
        region = region.width > 0 ? (region | b) : b;
      }
      if (first >= 0) add(std::max(s.event_time_s, time_of(first)), end, region);
      break;
    }
  }
}

Scene::Scene(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Scene::~Scene() = default;

Result<std::unique_ptr<Scene>> Scene::create(std::string_view name, std::uint64_t seed,
                                             const RenderOptions& options) {
  if (options.width < 64 || options.height < 64 || options.width % 2 || options.height % 2 ||
      options.width > 7680 || options.height > 4320)
    return invalid_argument("width and height must be even, 64 to 7680 x 4320");
  if (!(options.fps >= 1.0 && options.fps <= 120.0))
    return invalid_argument("fps must be in [1, 120]");
  if (options.duration_s && !(*options.duration_s > 0.0 && *options.duration_s <= 3600.0))
    return invalid_argument("duration_s must be in (0, 3600]");
  auto impl = std::make_unique<Impl>(cv::Size(options.width, options.height));
  impl->name = std::string(name);
  impl->seed = seed;
  impl->options = options;
  // Independent streams, so that changing one scenario's script never moves the background.
  Rng root(seed);
  const std::uint64_t script_seed = root.fork(), bg_seed = root.fork(), fx_seed = root.fork();
  auto script = build_scenario(name, script_seed, impl->camera, options.duration_s);
  if (!script) return invalid_argument("unknown scenario '" + std::string(name) + "'");
  impl->script = std::move(*script);
  Rng bg_rng(bg_seed);
  impl->background = render_background(impl->camera, bg_rng);
  impl->effects = std::make_unique<Effects>(impl->camera, fx_seed, impl->script.effects);
  impl->frames =
      std::max(1, static_cast<int>(std::lround(impl->script.default_duration_s * options.fps)));

  config::CameraConfig& cam = impl->camera_config;
  cam = impl->script.camera;
  cam.id = "synth-" + impl->name;
  cam.name = "synthetic " + impl->name + ", seed " + std::to_string(seed);
  cam.url = "video.mp4";
  cam.analysis = {5.0, 320};
  config::Calibration cal;
  for (const Point& g : layout::kCalibration.corners()) {
    const Point p = impl->camera.project_ground(g);
    cal.image.emplace_back(std::round(p.x * 100) / 100, std::round(p.y * 100) / 100);
    cal.ground.push_back(g);
  }
  cam.calibration = cal;

  std::unique_ptr<Scene> scene(new Scene(std::move(impl)));
  scene->impl_->compute_events();
  return scene;
}

const std::string& Scene::name() const {
  return impl_->name;
}
std::uint64_t Scene::seed() const {
  return impl_->seed;
}
int Scene::frame_count() const {
  return impl_->frames;
}
double Scene::fps() const {
  return impl_->options.fps;
}
double Scene::duration_s() const {
  return impl_->frames / impl_->options.fps;
}
cv::Size Scene::size() const {
  return impl_->camera.image_size();
}
const std::vector<EventTruth>& Scene::events() const {
  return impl_->events;
}
const config::CameraConfig& Scene::camera_config() const {
  return impl_->camera_config;
}
const CameraModel& Scene::camera() const {
  return impl_->camera;
}
const cv::Mat& Scene::background() const {
  return impl_->background;
}
FrameTruth Scene::truth_at(int index) const {
  return impl_->truth(index);
}

double Scene::zone_density(int index) const {
  return impl_->density(index);
}

FrameTruth Scene::render(int index, cv::Mat& bgr, const RenderLayers& layers) const {
  const Impl& m = *impl_;
  const double t = m.time_of(index);
  m.background.copyTo(bgr);
  if (layers.distractors) m.effects->draw_foliage(bgr, t);
  for (const BagSpec& b : m.script.bags)
    if (t >= b.drop_s) m.draw_bag(bgr, b);
  if (layers.people) {
    // far to near, so nearer people overlap farther ones
    std::vector<std::pair<double, size_t>> order;
    std::vector<PersonState> states(m.script.people.size());
    for (size_t i = 0; i < m.script.people.size(); ++i) {
      states[i] = m.script.people[i].at(t);
      if (states[i].present && states[i].ground.y > 1.0) order.emplace_back(-states[i].ground.y, i);
    }
    std::sort(order.begin(), order.end());
    if (layers.shadows)
      for (const auto& [k, i] : order)
        m.body.draw_shadow(bgr, states[i], m.script.people[i].appearance());
    for (const auto& [k, i] : order) m.body.draw(bgr, states[i], m.script.people[i].appearance());
  }
  m.effects->draw_smoke(bgr, t);
  if (layers.distractors || layers.noise)
    m.effects->apply_lighting(bgr, index, t, layers.noise, layers.distractors);
  m.effects->draw_emissive(bgr, index, t, layers.distractors);
  if (m.options.tamper != ViewTamper::kNone && t >= m.options.tamper_s) {
    apply_view_tamper(bgr, m.options.tamper);
  }
  return m.truth(index);
}

}  // namespace vigie::synth
