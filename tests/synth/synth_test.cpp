#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>
#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include "core/event_type.hpp"
#include "synth/scenario.hpp"
#include "synth/scene.hpp"

namespace vigie::synth {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream f(p, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

fs::path temp_dir(const std::string& name) {
  const fs::path d = fs::path(VIGIE_BINARY_DIR) / "synth_test_out" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

std::string run(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[256];
  while (fgets(buf, sizeof buf, p)) out += buf;
  pclose(p);
  return out;
}

// The integer box truth.json writes for a box.
cv::Rect pixel_rect(const cv::Rect2d& r) {
  const int x0 = static_cast<int>(std::floor(r.x)), y0 = static_cast<int>(std::floor(r.y));
  return {x0, y0, static_cast<int>(std::ceil(r.br().x)) - x0,
          static_cast<int>(std::ceil(r.br().y)) - y0};
}

std::unique_ptr<Scene> make(std::string_view name, std::uint64_t seed,
                            std::optional<double> d = std::nullopt) {
  RenderOptions o;
  o.duration_s = d;
  auto s = Scene::create(name, seed, o);
  EXPECT_TRUE(s.is_ok()) << s.status().to_string();
  return std::move(*s);
}

TEST(SynthRender, SameSeedGivesIdenticalFilesOtherSeedDiffers) {
  RenderOptions o;
  o.duration_s = 2.0;
  const auto a = temp_dir("det_a"), b = temp_dir("det_b"), c = temp_dir("det_c");
  ASSERT_TRUE(render_scenario("intrusion", 7, a, o).is_ok());
  ASSERT_TRUE(render_scenario("intrusion", 7, b, o).is_ok());
  ASSERT_TRUE(render_scenario("intrusion", 8, c, o).is_ok());
  EXPECT_EQ(slurp(a / "video.mp4"), slurp(b / "video.mp4"));
  EXPECT_EQ(slurp(a / "truth.json"), slurp(b / "truth.json"));
  EXPECT_EQ(slurp(a / "camera.yaml"), slurp(b / "camera.yaml"));
  EXPECT_NE(slurp(a / "video.mp4"), slurp(c / "video.mp4"));
}

TEST(SynthRender, UnknownScenarioIsInvalidArgument) {
  const auto r = render_scenario("nope", 1, temp_dir("unknown"));
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

TEST(SynthScene, FramesDoNotDependOnRenderOrder) {
  auto s = make("crowd_rush", 4, 4.0);
  cv::Mat a, b, c;
  s->render(60, a);
  s->render(10, b);
  s->render(60, c);
  EXPECT_EQ(cv::norm(a, c, cv::NORM_INF), 0.0);
}

// Pixels changed by drawing people (same frame without them, same noise, and no foliage that
// could hide them) must lie in the
// truth boxes, and each box must be substantially covered by them.
TEST(SynthScene, PersonBoxesCoverRenderedPeople) {
  auto s = make("normal", 3, 12.0);
  int checked_boxes = 0;
  for (int i = 0; i < s->frame_count(); i += 37) {
    cv::Mat with, without;
    const FrameTruth t =
        s->render(i, with, {.people = true, .shadows = false, .distractors = false});
    s->render(i, without, {.people = false, .shadows = false, .distractors = false});
    cv::Mat diff, changed;
    cv::absdiff(with, without, diff);
    cv::cvtColor(diff, diff, cv::COLOR_BGR2GRAY);
    changed = diff > 0;
    cv::Mat in_boxes(changed.size(), CV_8U, cv::Scalar(0));
    for (const auto& p : t.persons)
      in_boxes(pixel_rect(p.box) & cv::Rect(0, 0, with.cols, with.rows)).setTo(255);
    const double total = cv::countNonZero(changed);
    cv::Mat outside = changed & ~in_boxes;
    EXPECT_LE(cv::countNonZero(outside), 0.01 * total) << "frame " << i;
    if (std::getenv("SYNTH_DEBUG")) {
      std::vector<cv::Point> pts;
      cv::findNonZero(outside, pts);
      for (size_t k = 0; k < pts.size(); k += 5) std::printf("(%d,%d)", pts[k].x, pts[k].y);
      for (const auto& p : t.persons)
        std::printf(" [%.1f %.1f %.1f %.1f]", p.box.x, p.box.y, p.box.width, p.box.height);
      std::printf("\n");
    }
    for (const auto& p : t.persons) {
      if (p.box.area() < 150) continue;
      // A person entering at the image's edge shows a sliver of arm or coat in a clipped box.
      if (p.box.x <= 0 || p.box.y <= 0 || p.box.br().x >= with.cols || p.box.br().y >= with.rows)
        continue;
      const cv::Rect r = pixel_rect(p.box) & cv::Rect(0, 0, with.cols, with.rows);
      const double cover = cv::countNonZero(changed(r)) / static_cast<double>(r.area());
      EXPECT_GT(cover, 0.12) << "frame " << i << " person " << p.id;
      ++checked_boxes;
    }
  }
  EXPECT_GT(checked_boxes, 5);
}

TEST(SynthScene, PersonSizeFollowsPerspective) {
  auto s = make("normal", 5, 10.0);
  int n = 0;
  for (int i = 0; i < s->frame_count(); i += 25) {
    for (const auto& p : s->truth_at(i).persons) {
      if (p.pose != Pose::kWalk) continue;
      const cv::Point2d foot = s->camera().project_ground(p.ground);
      const cv::Rect2d full(0, 0, s->size().width, s->size().height);
      if (foot.y < 40 || foot.y > s->size().height - 1 || p.box.x <= 0 ||
          p.box.br().x >= full.width)
        continue;
      const double metres = p.box.height / s->camera().pixels_per_metre(p.ground);
      EXPECT_GT(metres, 1.45) << "frame " << i;
      EXPECT_LT(metres, 2.0) << "frame " << i;
      ++n;
    }
  }
  EXPECT_GT(n, 5);
  // a near person is taller in pixels than a far one
  EXPECT_GT(s->camera().pixels_per_metre({0, 10}), 2.0 * s->camera().pixels_per_metre({0, 28}));
}

class EveryScenario : public ::testing::TestWithParam<std::string_view> {};

TEST_P(EveryScenario, WritesValidFiles) {
  const std::string name(GetParam());
  const auto dir = temp_dir("all_" + name);
  RenderOptions o;
  o.duration_s = 3.0;
  const auto r = render_scenario(name, 11, dir, o);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->frames, 75);

  const auto truth = nlohmann::json::parse(slurp(dir / "truth.json"));
  EXPECT_EQ(truth.at("video"), "video.mp4");
  EXPECT_DOUBLE_EQ(truth.at("fps").get<double>(), 25.0);
  EXPECT_EQ(truth.at("size"), nlohmann::json::array({640, 360}));
  for (const auto& e : truth.at("events")) {
    EXPECT_TRUE(parse_event_type(e.at("type").get<std::string>()).has_value());
    EXPECT_GE(e.at("start").get<double>(), 0.0);
    EXPECT_LE(e.at("start").get<double>(), e.at("end").get<double>());
    EXPECT_LE(e.at("end").get<double>(), 3.0 + 1e-9);
    const auto reg = e.at("region");
    ASSERT_EQ(reg.size(), 4u);
    EXPECT_GE(reg[0].get<int>(), 0);
    EXPECT_GE(reg[1].get<int>(), 0);
    EXPECT_LE(reg[0].get<int>() + reg[2].get<int>(), 640);
    EXPECT_LE(reg[1].get<int>() + reg[3].get<int>(), 360);
  }
  const auto& persons = truth.at("persons");
  ASSERT_EQ(persons.size(), 75u);
  for (size_t i = 0; i < persons.size(); ++i) {
    EXPECT_EQ(persons[i].at("frame").get<size_t>(), i);
    for (const auto& b : persons[i].at("boxes")) {
      EXPECT_GE(b[0].get<int>(), 0);
      EXPECT_LE(b[0].get<int>() + b[2].get<int>(), 640);
      EXPECT_LE(b[1].get<int>() + b[3].get<int>(), 360);
    }
  }

  const YAML::Node cam = YAML::LoadFile((dir / "camera.yaml").string());
  EXPECT_EQ(cam["id"].as<std::string>(), "synth-" + name);
  EXPECT_EQ(cam["url"].as<std::string>(), "video.mp4");
  EXPECT_EQ(cam["analysis"]["fps"].as<double>(), 5.0);
  EXPECT_EQ(cam["analysis"]["width"].as<int>(), 320);
  EXPECT_EQ(cam["calibration"]["image"].size(), 4u);
  EXPECT_EQ(cam["calibration"]["ground"].size(), 4u);
  ASSERT_TRUE(cam["rules"].IsSequence());
  EXPECT_GE(cam["rules"].size(), 1u);
  for (const auto& z : cam["zones"]) {
    EXPECT_GE(z["polygon"].size(), 3u);
    std::vector<Point> poly;
    for (const auto& p : z["polygon"]) poly.emplace_back(p[0].as<double>(), p[1].as<double>());
    EXPECT_TRUE(is_simple_polygon(poly));
  }

  const std::string probe =
      run("ffprobe -v error -count_frames -select_streams v:0 -show_entries "
          "stream=codec_name,width,height,pix_fmt,nb_read_frames -of csv=p=0 '" +
          (dir / "video.mp4").string() + "'");
  EXPECT_EQ(probe, "h264,640,360,yuv420p,75\n");
}

INSTANTIATE_TEST_SUITE_P(Synth, EveryScenario, ::testing::ValuesIn(scenario_names()),
                         [](const auto& param_info) { return std::string(param_info.param); });

TEST(SynthScenarios, AbandonedBagOwnerIsFarAtEventStartAndClipIsLongEnough) {
  auto s = make("abandoned_bag", 21);
  ASSERT_EQ(s->events().size(), 1u);
  const EventTruth& e = s->events()[0];
  EXPECT_EQ(e.type, EventType::kAbandonedObject);
  EXPECT_GT(e.region.width, 3.0);
  EXPECT_GT(e.region.height, 3.0);
  EXPECT_GE(s->duration_s() - e.start_s, 45.0);
  EXPECT_DOUBLE_EQ(e.end_s, s->duration_s());
  const int i = static_cast<int>(std::lround(e.start_s * s->fps()));
  const int before = i - 1;
  // person 0 carries the bag; it rests 0.45 m ahead of where they stopped
  auto owner_distance = [&](int frame) -> double {
    for (const auto& p : s->truth_at(frame).persons)
      if (p.id == 0) return cv::norm(p.ground - Point(0.3 - 0.196 * 0.45, 14.1 + 0.981 * 0.45));
    return 1e9;
  };
  EXPECT_GT(owner_distance(i), 3.0);
  EXPECT_LE(owner_distance(before), 3.0);
}

TEST(SynthScenarios, AttendedBagHasNoEventsAndOwnerStaysClose) {
  auto s = make("attended_bag", 22);
  EXPECT_TRUE(s->events().empty());
  // the owner reaches the spot and puts the bag down within 12 s
  for (int i = static_cast<int>(12 * s->fps()); i < s->frame_count(); i += 10) {
    bool seen = false;
    for (const auto& p : s->truth_at(i).persons)
      if (p.id == 0) {
        seen = true;
        EXPECT_LE(cv::norm(p.ground - Point(0.3 - 0.196 * 0.45, 14.1 + 0.981 * 0.45)), 2.0) << i;
      }
    EXPECT_TRUE(seen) << i;
  }
}

TEST(SynthScenarios, DenseCrowdExceedsFourPerSquareMetreAtEventStart) {
  auto s = make("dense_crowd", 23);
  ASSERT_EQ(s->events().size(), 1u);
  const EventTruth& e = s->events()[0];
  EXPECT_EQ(e.type, EventType::kDensity);
  const int i = static_cast<int>(std::lround(e.start_s * s->fps()));
  EXPECT_GT(s->zone_density(i), 4.0);
  EXPECT_LE(s->zone_density(i - 1), 4.0);
}

TEST(SynthScenarios, FallEventStartsWhenLying) {
  auto s = make("person_fall", 24);
  ASSERT_EQ(s->events().size(), 1u);
  const int i = static_cast<int>(std::lround(s->events()[0].start_s * s->fps()));
  bool lying = false;
  for (const auto& p : s->truth_at(i).persons) lying |= p.id == 0 && p.pose == Pose::kLie;
  EXPECT_TRUE(lying);
  EXPECT_DOUBLE_EQ(s->events()[0].end_s, s->duration_s());
}

TEST(SynthScenarios, WrongWayWalkerMovesAgainstAllowedDirection) {
  auto s = make("wrong_way", 25);
  ASSERT_EQ(s->events().size(), 1u);
  const auto& zone = s->camera_config().zones.at(0);
  ASSERT_TRUE(zone.allowed_direction.has_value());
  const EventTruth& e = s->events()[0];
  EXPECT_GT(e.end_s - e.start_s, 5.0);
}

TEST(SynthScenarios, PositiveScenariosHaveTheirEventNegativesNone) {
  const std::vector<std::pair<std::string_view, std::optional<EventType>>> expected = {
      {"wrong_way", EventType::kWrongWay},
      {"intrusion", EventType::kIntrusion},
      {"crowd_rush", EventType::kCrowdMovement},
      {"dense_crowd", EventType::kDensity},
      {"person_fall", EventType::kPersonOnGround},
      {"fire", EventType::kFire},
      {"person_sitting", std::nullopt},
      {"normal", std::nullopt}};
  for (const auto& [name, type] : expected) {
    auto s = make(name, 30);
    if (!type) {
      EXPECT_TRUE(s->events().empty()) << name;
      continue;
    }
    ASSERT_EQ(s->events().size(), 1u) << name;
    EXPECT_GT(s->events()[0].region.width, 3.0) << name;
    EXPECT_EQ(s->events()[0].type, *type) << name;
    EXPECT_GT(s->events()[0].region.area(), 0.0) << name;
  }
}

}  // namespace
}  // namespace vigie::synth
