// End to end on the shared real clips: every clip of ../shared/data that has a camera file in
// eval/real runs through the whole engine, as `vigie eval ../shared/data --cameras eval/real`
// does. A clip must raise every truth event's alert and nothing else. The clips are never
// copied into the repository; without ../shared/data every case is skipped.

#include <algorithm>
#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "engine/clip_runner.hpp"
#include "engine/clip_problems.hpp"
#include "eval/match.hpp"
#include "eval/truth.hpp"

namespace vigie::engine {
namespace {

namespace fs = std::filesystem;

const fs::path kData = fs::path(VIGIE_SHARED_DIR) / "data";
const fs::path kCameras = fs::path(VIGIE_SOURCE_DIR) / "eval/real";

constexpr const char* kFallNotSeenDropping =
    "person_on_ground missed: the subject stands in view from the first frame and falls 1.0 to "
    "1.5 s in, during the background's warm-up; the moving foreground then shows him in pieces "
    "(only what moved since the start), and no piece is seen upright and then low within "
    "1.2 s, or the candidate loses its support when the camera's exposure changes";
constexpr const char* kCyclist =
    "person_on_ground missed: where the cyclist lies (a person standing there is 60 px tall) "
    "no track is taken for a fallen person; the cause is not established yet";
constexpr const char* kSeatedTakenForAnObject =
    "a false abandoned_object alert near the end of the clip (a06: a 40 x 28 px shape by the "
    "desks; a08: the head and shoulders of the man seated there since the first frame, under "
    "0.45 standing heights tall) is taken for an object left by the subject; the cause is not "
    "established yet";

/// Real clips the engine still gets wrong, each with why. They are skipped with that reason;
/// the test fails when a listed clip starts passing, so the list stays true.
const std::map<std::string, std::string> kKnownGaps = {
    {"upfall-s1t3-a01-cam2", kFallNotSeenDropping},
    {"cctv-cyclist-fall-ambulance", kCyclist},
    {"upfall-s1t3-a06-cam2", kSeatedTakenForAnObject},
    {"upfall-s1t3-a08-cam2", kSeatedTakenForAnObject},
};

struct Outcome {
  eval::TruthClip truth;
  std::vector<eval::ClipAlert> alerts;
  CameraHealth health;
};

/// The clips with a camera file, known without reading ../shared (test names must exist
/// before the suite runs).
std::vector<std::string> clip_names() {
  std::vector<std::string> out;
  if (!fs::is_directory(kCameras)) return out;
  for (const auto& e : fs::directory_iterator(kCameras)) {
    if (fs::exists(e.path() / "camera.yaml")) out.push_back(e.path().filename().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

class RealClipEndToEnd : public ::testing::TestWithParam<std::string> {
 public:
  static void SetUpTestSuite() {
    if (!fs::is_directory(kData)) return;
    std::vector<std::string> names;
    std::vector<ClipJob> jobs;
    std::vector<eval::TruthClip> truths;
    for (const auto& name : clip_names()) {
      if (!fs::exists(kData / name / "truth.json")) continue;
      auto truth = eval::load_truth(kData / name / "truth.json");
      ASSERT_TRUE(truth.is_ok()) << truth.status().to_string();
      auto camera = config::load_camera_file(kCameras / name / "camera.yaml");
      ASSERT_TRUE(camera.ok()) << camera.error_text(name);
      camera.camera->url = truth->path.string();
      jobs.push_back({*camera.camera});
      truths.push_back(std::move(*truth));
      names.push_back(name);
    }
    auto ran = run_clips(jobs);
    ASSERT_TRUE(ran.is_ok()) << ran.status().to_string();
    const auto runs = std::move(ran->clips);
    for (std::size_t i = 0; i < names.size(); ++i) {
      Outcome o{std::move(truths[i]), {}, runs[i].health};
      for (const auto& rec : runs[i].alerts) {
        o.alerts.push_back(eval::clip_alert(rec.alert, rec.end_s));
      }
      outcomes()[names[i]] = std::move(o);
    }
  }

  static std::map<std::string, Outcome>& outcomes() {
    static std::map<std::string, Outcome> o;
    return o;
  }
};

std::string problems(const Outcome& o) {
  return clip_problems(o.truth.events, o.alerts);
}

TEST_P(RealClipEndToEnd, RaisesItsAlertsAndNothingElse) {
  if (!fs::is_directory(kData)) {
    GTEST_SKIP() << kData << " absent: the real clips are read from ../shared/data";
  }
  const auto it = outcomes().find(GetParam());
  if (it == outcomes().end()) GTEST_SKIP() << GetParam() << " is not in " << kData;
  const Outcome& o = it->second;
  EXPECT_EQ(o.health.state, CameraState::kEnded) << o.health.reason;
  const std::string wrong = problems(o);
  if (auto gap = kKnownGaps.find(GetParam()); gap != kKnownGaps.end()) {
    ASSERT_FALSE(wrong.empty())
        << "listed as a known gap but passes now; remove it from kKnownGaps";
    GTEST_SKIP() << "known gap: " << gap->second << " (" << wrong << ")";
  }
  EXPECT_TRUE(wrong.empty()) << GetParam() << ": " << wrong;
}

INSTANTIATE_TEST_SUITE_P(Real, RealClipEndToEnd, ::testing::ValuesIn(clip_names()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           std::string n = p.param;
                           std::replace(n.begin(), n.end(), '-', '_');
                           return n;
                         });

}  // namespace
}  // namespace vigie::engine
