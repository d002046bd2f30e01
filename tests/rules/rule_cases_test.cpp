// Rule behaviour as data: each file in cases/ describes a camera, one rule, timed
// observations (tracks, static shapes, flow, flame candidates, foreground) and the alerts
// expected. This driver replays them; adding a case needs no C++. See cases/README.md.

#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <opencv2/imgproc.hpp>

#include "config/loader.hpp"
#include "rules/rule.hpp"
#include "support/process.hpp"

namespace vigie::rules {
namespace {

namespace fs = std::filesystem;

const fs::path kCases = fs::path(VIGIE_SOURCE_DIR) / "tests/rules/cases";

/// The keys each part of a case file may hold (cases/README.md), by path ("[]": each element
/// of a list). `camera` and `rule` are not listed: the configuration's own strict parser reads
/// them.
const std::map<std::string, std::set<std::string>> kCaseKeys = {
    {"",
     {"rule", "camera", "width", "height", "fps", "duration_s", "tracks", "static", "fire",
      "picture", "flow", "foreground", "detector", "detections", "expect"}},
    {"tracks[]", {"id", "from", "to", "box", "to_box", "measured", "blob", "to_blob"}},
    {"static[]", {"from", "to", "box", "to_box"}},
    {"fire[]", {"id", "from", "to", "box", "to_box", "flame_like", "on_s", "off_s"}},
    {"picture", {"background", "noise", "shapes"}},
    {"picture.shapes[]",
     {"from", "to", "box", "to_box", "colour", "flicker", "flame", "on_s", "off_s"}},
    {"flow[]",
     {"zone", "from", "to", "fast_fraction", "divergence", "mean_speed", "moving_fraction",
      "direction", "metric"}},
    {"foreground[]", {"from", "to", "box", "to_box", "held"}},
    {"detector", {"answer", "confirm_timeout_s", "recheck_s", "scan_hz", "scale"}},
    {"detections[]", {"from", "to", "box", "to_box", "role", "score", "turned"}},
    {"expect[]", {"type", "from", "to", "zone", "confirmed"}},
};

/// Appends `file: where.key: unknown key (...) (line N)` for every key of `node` (at `schema`
/// in kCaseKeys, `where` in the document) that the case format does not have: a misspelled
/// key would otherwise be silently ignored, and the case test something else than it says.
void check_case_keys(const YAML::Node& node, const std::string& schema, const std::string& where,
                     const std::string& file, std::vector<std::string>& errors) {
  if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i) {
      check_case_keys(node[i], schema + "[]", fmt::format("{}[{}]", where, i), file, errors);
    }
    return;
  }
  const auto known = kCaseKeys.find(schema);
  if (!node.IsMap() || known == kCaseKeys.end()) return;
  for (const auto& kv : node) {
    const std::string key = kv.first.Scalar();
    const std::string path = where.empty() ? key : where + "." + key;
    if (!known->second.contains(key)) {
      errors.push_back(fmt::format("{}: {}: unknown key (known keys here: {}) (line {})", file,
                                   path, fmt::join(known->second, ", "), kv.first.Mark().line + 1));
      continue;
    }
    check_case_keys(kv.second, schema.empty() ? key : schema + "." + key, path, file, errors);
  }
}

/// The case file's unknown keys, one error a line; empty when every key is known.
std::string case_key_errors(const fs::path& file) {
  std::vector<std::string> errors;
  check_case_keys(YAML::LoadFile(file.string()), "", "", file.filename().string(), errors);
  return fmt::format("{}", fmt::join(errors, "\n"));
}

cv::Rect2d rect(const YAML::Node& n) {
  return {n[0].as<double>(), n[1].as<double>(), n[2].as<double>(), n[3].as<double>()};
}

/// An observation that exists from `from` to `to` seconds, its box moving linearly.
struct Timed {
  YAML::Node node;
  double from() const { return node["from"] ? node["from"].as<double>() : 0.0; }
  double to() const { return node["to"] ? node["to"].as<double>() : 1e9; }
  bool active(double t) const { return t >= from() - 1e-9 && t <= to() + 1e-9; }
  /// The box `key` at `t`, moving linearly to `to_key` when the spec has it.
  cv::Rect2d box_at(double t, const char* key = "box", const char* to_key = "to_box") const {
    const cv::Rect2d a = rect(node[key]);
    if (!node[to_key]) return a;
    const cv::Rect2d b = rect(node[to_key]);
    const double span = std::max(1e-9, to() - from());
    const double k = std::clamp((t - from()) / span, 0.0, 1.0);
    return {a.x + (b.x - a.x) * k, a.y + (b.y - a.y) * k, a.width + (b.width - a.width) * k,
            a.height + (b.height - a.height) * k};
  }
};

std::vector<Timed> timed(const YAML::Node& list) {
  std::vector<Timed> out;
  if (list) {
    for (const auto& n : list) out.push_back({n});
  }
  return out;
}

Point foot_of(const cv::Rect2d& b) {
  return {b.x + b.width / 2, b.y + b.height};
}

/// A colour [b, g, r] from YAML.
cv::Scalar colour_of(const YAML::Node& n) {
  return {n[0].as<double>(), n[1].as<double>(), n[2].as<double>()};
}

/// Synthetic analysis frames (`picture`), rendered at half the source size and given to the
/// real flame detector, whose candidates the rule then sees. Shapes are drawn in order, later
/// ones in front: `box` (moving to `to_box`) filled with `colour`, its brightness scaled by a
/// random factor within `flicker` each frame (a sign whose light wavers), shown only during
/// `on_s` of every `on_s` + `off_s` when given (a beacon); `flame: true` draws tongues of
/// flame inside the box instead, a new random shape and brightness every frame, rooted on the
/// box's bottom edge. Camera noise (`noise`, grey levels) is added everywhere.
class Picture {
 public:
  Picture(const YAML::Node& doc, cv::Size source) : size_(source.width / 2, source.height / 2) {
    if (!doc["picture"]) return;
    node_ = doc["picture"];
    shapes_ = timed(node_["shapes"]);
  }

  [[nodiscard]] bool empty() const { return !node_; }

  cv::Mat render(double t) {
    cv::Mat img(size_, CV_8UC3,
                node_["background"] ? colour_of(node_["background"]) : cv::Scalar(110, 112, 115));
    for (const Timed& s : shapes_) {
      if (!s.active(t)) continue;
      if (s.node["on_s"]) {
        const double on = s.node["on_s"].as<double>(), off = s.node["off_s"].as<double>();
        if (std::fmod(t - s.from(), on + off) >= on) continue;
      }
      const cv::Rect2d b = s.box_at(t);
      const cv::Rect box(cvRound(b.x / 2), cvRound(b.y / 2), cvRound(b.width / 2),
                         cvRound(b.height / 2));
      if (s.node["flame"] && s.node["flame"].as<bool>()) {
        flame(img, box);
        continue;
      }
      double gain = 1.0;
      if (s.node["flicker"]) {
        const double f = s.node["flicker"].as<double>();
        gain = std::uniform_real_distribution<double>(1.0 - f, 1.0)(rng_);
      }
      cv::rectangle(img, box, colour_of(s.node["colour"]) * gain, cv::FILLED);
    }
    const double sigma = node_["noise"] ? node_["noise"].as<double>() : 2.0;
    if (sigma > 0) {
      cv::Mat noise(size_, CV_16SC3);
      cv::randn(noise, 0, sigma);
      cv::Mat noisy;
      img.convertTo(noisy, CV_16SC3);
      noisy += noise;
      noisy.convertTo(img, CV_8UC3);
    }
    return img;
  }

 private:
  /// Tongues of flame filling `box` from its bottom edge: orange with a yellow core, their
  /// tips and brightness different in every frame, as real flames look at 5 fps.
  void flame(cv::Mat& img, const cv::Rect& box) {
    const int h = box.height, w = box.width;
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const double glow = 0.75 + 0.25 * unit(rng_);
    const int bottom = box.y + h;
    for (int k = 0; k < 3; ++k) {
      const double half = w * (0.1 + 0.1 * unit(rng_));
      const double x = box.x + half + unit(rng_) * (w - 2 * half);
      const double tip = h * (0.3 + 0.7 * unit(rng_));
      const double lean = (unit(rng_) - 0.5) * w * 0.5;
      const std::vector<cv::Point> tongue{{cvRound(x - half), bottom},
                                          {cvRound(x + half), bottom},
                                          {cvRound(x + lean), cvRound(bottom - tip)}};
      cv::fillConvexPoly(img, tongue, cv::Scalar(30, 140 * glow, 250 * glow));
    }
    cv::circle(img,
               {box.x + w / 2 + cvRound((unit(rng_) - 0.5) * w / 3.0),
                bottom - cvRound(h * (0.1 + 0.2 * unit(rng_)))},
               std::max(1, w / 6), cv::Scalar(120 * glow, 230 * glow, 255 * glow), cv::FILLED);
  }

  YAML::Node node_;
  cv::Size size_;
  std::vector<Timed> shapes_;
  std::mt19937 rng_{7};
};

struct Raised {
  EventType type;
  double start;
  std::string zone;
};

class RuleCaseTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RuleCaseTest, RaisesExactlyTheExpectedAlerts) {
  const fs::path file = kCases / GetParam();
  ASSERT_EQ(case_key_errors(file), "");
  const YAML::Node doc = YAML::LoadFile(file.string());

  // The camera and rule go through the real configuration parser, defaults included.
  YAML::Node camera = doc["camera"] ? YAML::Clone(doc["camera"]) : YAML::Node(YAML::NodeType::Map);
  camera["id"] = "case";
  camera["url"] = "none.mp4";
  camera["rules"].push_back(doc["rule"]);
  test::TempDir dir;
  {
    std::ofstream out(dir / "camera.yaml");
    YAML::Emitter e;
    e << camera;
    out << e.c_str();
  }
  const config::CameraLoadResult loaded = config::load_camera_file(dir / "camera.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text(file.string());
  const config::CameraConfig& c = *loaded.camera;

  const cv::Size source(doc["width"] ? doc["width"].as<int>() : 640,
                        doc["height"] ? doc["height"].as<int>() : 360);
  const double to_source = 2.0;
  const std::optional<Homography> ground = ground_of(c);
  const perceive::PersonScale scale = person_scale_of(c);
  const CameraGeometry geometry = CameraGeometry::from(c, source);
  std::vector<Raised> raised;
  std::vector<std::string> hashes;
  // An optional detector that answers at once with the `detections` active at that time
  // inside the requested region (`answer: false` makes it never answer).
  const YAML::Node detector = doc["detector"];
  const auto detection_specs = timed(doc["detections"]);
  std::optional<DetectorLink> link;
  if (detector) {
    DetectorPolicy policy;
    if (detector["confirm_timeout_s"]) policy.confirm_timeout_s = detector["confirm_timeout_s"].as<double>();
    if (detector["recheck_s"]) policy.recheck_s = detector["recheck_s"].as<double>();
    if (detector["scan_hz"]) policy.scan_hz = detector["scan_hz"].as<double>();
    const bool answers = !detector["answer"] || detector["answer"].as<bool>();
    const double input_scale = detector["scale"] ? detector["scale"].as<double>() : 1.0;
    link.emplace(policy, "case-model", source, [&, answers, input_scale](const DetectorRequest& r) {
      if (!answers) return true;
      DetectorAnswer a{r.id, r.region, r.t, r.purpose, {}, input_scale};
      for (const Timed& s : detection_specs) {
        if (!s.active(r.t)) continue;
        const cv::Rect2d box = s.box_at(r.t);
        if ((box & r.region).area() <= 0) continue;
        if (s.node["turned"]) {
          const std::string turned = s.node["turned"].as<std::string>();
          EXPECT_TRUE(turned == "clockwise" || turned == "counter_clockwise")
              << "turned: " << turned << " (clockwise or counter_clockwise)";
          if (r.turn != (turned == "clockwise" ? Turn::kClockwise : Turn::kCounterClockwise))
            continue;
        }
        const std::string role = s.node["role"].as<std::string>();
        Detection d;
        d.box = box;
        d.score = s.node["score"] ? s.node["score"].as<float>() : 0.9f;
        d.role = role == "person"   ? DetectionRole::kPerson
                 : role == "bag"    ? DetectionRole::kBag
                 : role == "weapon" ? DetectionRole::kWeapon
                 : role == "vehicle" ? DetectionRole::kVehicle
                                     : DetectionRole::kOther;
        a.found.push_back(d);
      }
      link->deliver(std::move(a));
      return true;
    });
  }
  RuleContext context{c.id,
                      [&](const Alert& a, AlertChange change) {
                        if (change == AlertChange::kRaised) {
                          raised.push_back({a.type, a.start_s, a.zone});
                          hashes.push_back(a.model_hash);
                        }
                      },
                      "case", link.has_value()};
  auto rule = make_rule(c.rules.at(0), geometry, context);
  ASSERT_TRUE(rule.is_ok()) << rule.status().to_string();

  const double fps = doc["fps"] ? doc["fps"].as<double>() : 5.0;
  const double duration = doc["duration_s"].as<double>();
  const auto track_specs = timed(doc["tracks"]);
  const auto static_specs = timed(doc["static"]);
  const auto fire_specs = timed(doc["fire"]);
  const auto flow_specs = timed(doc["flow"]);
  const auto fg_specs = timed(doc["foreground"]);
  Picture picture(doc, source);
  perceive::FireDetector flames{perceive::FireConfig{}};
  std::map<int, std::deque<track::TrajectoryPoint>> trajectories;
  std::map<int, double> tallest;

  for (int frame = 0; frame * (1.0 / fps) <= duration + 1e-9; ++frame) {
    const double t = frame / fps;
    std::vector<track::Track> tracks;
    std::vector<perceive::Blob> moving;
    for (const Timed& s : track_specs) {
      if (!s.active(t)) continue;
      const int id = s.node["id"].as<int>();
      track::Track tr;
      tr.id = static_cast<track::TrackId>(id);
      // `measured: false`: the tracker coasts the track through these frames, unmatched.
      const bool measured = !s.node["measured"] || s.node["measured"].as<bool>();
      tr.state = measured ? track::TrackState::kConfirmed : track::TrackState::kLost;
      tr.box = s.box_at(t);
      tr.foot = foot_of(tr.box);
      const cv::Rect2d before = s.box_at(t - 1.0 / fps);
      tr.velocity_px_s = (tr.foot - foot_of(before)) * fps;
      if (measured) {
        // The blob measured this frame: the filtered box unless the spec gives its own
        // (`blob`, moving to `to_blob`), as when the filter lags a growing shape.
        perceive::Blob b;
        b.box = s.node["blob"] ? s.box_at(t, "blob", "to_blob") : tr.box;
        b.foot = foot_of(b.box);
        tr.measurement_index = moving.size();
        moving.push_back(b);
      } else
        tr.misses = static_cast<int>((t - s.from()) * fps) + 1;
      auto& traj = trajectories[id];
      if (measured)
        traj.push_back({t, tr.foot, tr.box.height});  // as the tracker: measured frames only
      while (!traj.empty() && t - traj.front().t_s > 10.0) traj.pop_front();
      tr.trajectory = traj;
      tr.hits = static_cast<int>(traj.size());
      tr.age_frames = tr.hits;
      tr.first_seen_s = s.from();
      tr.last_seen_s = t;
      tallest[id] = std::max(tallest[id], tr.box.height);
      tr.max_height_px = tallest[id];
      if (ground) {
        const Point g = ground->to_ground(tr.foot);
        const Point g0 = ground->to_ground(foot_of(before));
        tr.ground_m = g;
        tr.ground_velocity_m_s = (g - g0) * fps;
        tr.ground_speed_m_s = cv::norm(*tr.ground_velocity_m_s);
      }
      tracks.push_back(tr);
    }
    std::vector<perceive::Blob> still;
    for (const Timed& s : static_specs) {
      if (!s.active(t)) continue;
      perceive::Blob b;
      b.box = s.box_at(t);
      b.foot = foot_of(b.box);
      b.area_px = b.box.area();
      b.fill = 1.0;
      b.person_height_px = scale.person_height_px(b.foot);
      still.push_back(b);
    }
    std::vector<perceive::FireCandidate> fire;
    for (const Timed& s : fire_specs) {
      if (!s.active(t)) continue;
      perceive::FireCandidate f;
      f.id = s.node["id"].as<int>();
      f.box = s.box_at(t);
      f.first_seen_s = s.from();
      // flame_like may blink: "on_s"/"off_s" make it alternate.
      bool like = s.node["flame_like"].as<bool>();
      if (s.node["on_s"]) {
        const double on = s.node["on_s"].as<double>(), off = s.node["off_s"].as<double>();
        like = like && std::fmod(t - s.from(), on + off) < on;
      }
      f.flame_like = like;
      f.score = like ? 0.8 : 0.0;
      fire.push_back(f);
    }
    std::vector<perceive::ZoneFlow> flows(geometry.zones.size() + 1);
    for (const Timed& s : flow_specs) {
      if (!s.active(t)) continue;
      const std::string zone = s.node["zone"] ? s.node["zone"].as<std::string>() : "";
      std::size_t index = geometry.whole_image_flow;
      if (const ZoneGeometry* z = geometry.zone(zone)) index = z->flow_index;
      perceive::ZoneFlow& f = flows[index];
      f.metric = s.node["metric"] ? s.node["metric"].as<bool>() : true;
      f.fast_fraction = s.node["fast_fraction"] ? s.node["fast_fraction"].as<double>() : 0.0;
      f.divergence = s.node["divergence"] ? s.node["divergence"].as<double>() : 0.0;
      f.mean_speed = s.node["mean_speed"] ? s.node["mean_speed"].as<double>() : 0.0;
      f.moving_fraction = s.node["moving_fraction"] ? s.node["moving_fraction"].as<double>() : 0.0;
      if (s.node["direction"]) {
        const double angle =
            std::atan2(s.node["direction"][1].as<double>(), s.node["direction"][0].as<double>());
        const int sector =
            static_cast<int>(std::floor((angle < 0 ? angle + 2 * CV_PI : angle) / (CV_PI / 4))) % 8;
        f.direction_histogram[static_cast<std::size_t>(sector)] = 1.0;
      }
    }
    cv::Mat foreground = cv::Mat::zeros(source.height / 2, source.width / 2, CV_8U);
    cv::Mat foreground_held = foreground.clone();
    for (const Timed& s : fg_specs) {
      if (!s.active(t)) continue;
      const cv::Rect2d b = s.box_at(t);
      const cv::Rect r(static_cast<int>(b.x / to_source), static_cast<int>(b.y / to_source),
                       static_cast<int>(b.width / to_source),
                       static_cast<int>(b.height / to_source));
      const bool held_only = s.node["held"] && s.node["held"].as<bool>();
      if (!held_only) cv::rectangle(foreground, r, 255, cv::FILLED);
      cv::rectangle(foreground_held, r, 255, cv::FILLED);
    }
    if (!picture.empty()) {
      // What the flame detector sees: the picture, and the moving foreground as its mask.
      const std::vector<perceive::FireCandidate> found =
          flames.update(picture.render(t), foreground, cv::Mat(), t, frame == 0 ? 0.0 : 1.0 / fps,
                        to_source);
      fire.insert(fire.end(), found.begin(), found.end());
    }
    Scene scene;
    scene.t = t;
    scene.source_size = source;
    scene.tracks = tracks;
    scene.moving = moving;
    scene.static_objects = still;
    scene.flows = flows;
    scene.fire = fire;
    scene.foreground = &foreground;
    scene.foreground_held = &foreground_held;
    scene.to_source = to_source;
    scene.scale = &scale;
    if (link) {
      link->begin_frame(t);
      scene.detector = &*link;
    }
    (*rule)->evaluate(scene);
  }

  const YAML::Node expect = doc["expect"];
  ASSERT_TRUE(expect && expect.IsSequence()) << file << ": needs an expect list (may be empty)";
  std::string got;
  for (const auto& r : raised)
    got += std::string(to_string(r.type)) + "@" + std::to_string(r.start) + " ";
  ASSERT_EQ(raised.size(), expect.size()) << file.filename() << ": alerts raised: " << got;
  for (std::size_t i = 0; i < expect.size(); ++i) {
    EXPECT_EQ(std::string(to_string(raised[i].type)), expect[i]["type"].as<std::string>());
    EXPECT_GE(raised[i].start, expect[i]["from"].as<double>()) << file.filename() << " alert " << i;
    EXPECT_LE(raised[i].start, expect[i]["to"].as<double>()) << file.filename() << " alert " << i;
    if (expect[i]["zone"]) {
      EXPECT_EQ(raised[i].zone, expect[i]["zone"].as<std::string>());
    }
    // `confirmed: true`: the detector confirmed it, so the alert names the model.
    if (expect[i]["confirmed"]) {
      EXPECT_EQ(!hashes[i].empty(), expect[i]["confirmed"].as<bool>()) << file.filename();
    }
  }
}

std::vector<std::string> case_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(kCases)) {
    if (e.path().extension() == ".yaml") out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

INSTANTIATE_TEST_SUITE_P(Cases, RuleCaseTest, ::testing::ValuesIn(case_files()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string name = p.param.substr(0, p.param.size() - 5);
                           std::replace(name.begin(), name.end(), '-', '_');
                           return name;
                         });

TEST(RuleCaseFileTest, MisspelledKeyIsAnErrorNamingKeyFileAndLine) {
  test::TempDir dir;
  const fs::path file = dir / "misspelled.yaml";
  test::write_file(file, R"(rule: {type: intrusion}
duration_s: 4
tracks:
  - {id: 1, from: 0, to: 4, box: [10, 10, 20, 60]}
  - {id: 2, from: 0, to: 4, box: [90, 10, 20, 60], to_bx: [300, 10, 20, 60]}
expect: []
picture:
  noise: 0
  shapes:
    - {box: [0, 0, 10, 10], color: [0, 0, 255]}
durration_s: 5
)");
  const std::string errors = case_key_errors(file);
  EXPECT_NE(errors.find("misspelled.yaml: tracks[1].to_bx: unknown key"), std::string::npos)
      << errors;
  EXPECT_NE(errors.find("(line 5)"), std::string::npos) << errors;
  EXPECT_NE(errors.find("misspelled.yaml: picture.shapes[0].color: unknown key"),
            std::string::npos)
      << errors;
  EXPECT_NE(errors.find("misspelled.yaml: durration_s: unknown key"), std::string::npos)
      << errors;
  EXPECT_EQ(std::count(errors.begin(), errors.end(), '\n'), 2) << errors;  // three errors
}

TEST(RuleCaseFileTest, EveryKeyOfTheFormatIsAccepted) {
  test::TempDir dir;
  const fs::path file = dir / "full.yaml";
  test::write_file(file, R"(rule: {type: fire}
camera: {zones: []}
width: 640
height: 360
fps: 5
duration_s: 1
expect: [{type: fire, from: 0, to: 1, zone: z, confirmed: false}]
tracks: [{id: 1, from: 0, to: 1, box: [0, 0, 1, 1], to_box: [0, 0, 1, 1], measured: true,
    blob: [0, 0, 1, 1], to_blob: [0, 0, 1, 1]}]
static: [{from: 0, to: 1, box: [0, 0, 1, 1], to_box: [0, 0, 1, 1]}]
fire: [{id: 1, from: 0, to: 1, box: [0, 0, 1, 1], flame_like: true, on_s: 1, off_s: 1}]
picture: {background: [0, 0, 0], noise: 1, shapes: [{box: [0, 0, 1, 1], colour: [0, 0, 0],
    flicker: 0.1, flame: false, on_s: 1, off_s: 1}]}
flow: [{zone: z, fast_fraction: 0, divergence: 0, mean_speed: 0, moving_fraction: 0,
    direction: [1, 0], metric: true}]
foreground: [{from: 0, to: 1, box: [0, 0, 1, 1], held: true}]
detector: {answer: true, confirm_timeout_s: 1, recheck_s: 1, scan_hz: 1, scale: 1}
detections: [{box: [0, 0, 1, 1], role: weapon, score: 0.5, turned: clockwise}]
)");
  EXPECT_EQ(case_key_errors(file), "");
}

TEST(RuleFactoryTest, WeaponWithoutDetectorSaysWhy) {
  config::RuleConfig r = config::rule_defaults(EventType::kWeapon);
  CameraGeometry g;
  auto rule = make_rule(r, g, {"cam", [](const Alert&, AlertChange) {}, "v", false});
  ASSERT_FALSE(rule.is_ok());
  EXPECT_EQ(rule.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(rule.status().message().find("detector model"), std::string::npos);
}

TEST(RuleFactoryTest, WeaponWithDetectorIsBuilt) {
  config::RuleConfig r = config::rule_defaults(EventType::kWeapon);
  CameraGeometry g;
  auto rule = make_rule(r, g, {"cam", [](const Alert&, AlertChange) {}, "v", true});
  EXPECT_TRUE(rule.is_ok()) << rule.status().to_string();
}

// make_rule picks the factory by the parameters' type: every type's parameters get a rule.
TEST(RuleFactoryTest, EveryTypeIsBuiltFromItsParameters) {
  CameraGeometry g;
  for (EventType type : kAllEventTypes) {
    const config::RuleConfig r = config::rule_defaults(type);
    auto rule = make_rule(r, g, {"cam", [](const Alert&, AlertChange) {}, "v", true});
    ASSERT_TRUE(rule.is_ok()) << to_string(type) << ": " << rule.status().to_string();
    EXPECT_NE(*rule, nullptr) << to_string(type);
  }
}

}  // namespace
}  // namespace vigie::rules
