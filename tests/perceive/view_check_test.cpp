// The view check on rendered scenes: a camera knocked aside, covered, defocused or blinded
// halfway through is found within seconds, with the right reason; ordinary scenes (a sudden
// change of light, a crowd gathering or running) never are.

#include "perceive/view_check.hpp"

#include <cstdio>
#include <optional>

#include <gtest/gtest.h>
#include <opencv2/imgproc.hpp>

#include "synth/effects.hpp"
#include "synth/scene.hpp"

namespace vigie::perceive {
namespace {

struct Watched {
  std::optional<double> changed_at;  ///< video time the state became view_changed
  ViewProblem problem = ViewProblem::kNone;
  std::string detail;
  bool restored = false;  ///< changed, then back to the reference
};

// Plays a rendered scene as the analysis sees it (5 fps, 320 px wide) through a ViewCheck.
Watched watch(const std::string& scenario, synth::ViewTamper tamper, double tamper_s,
              double duration_s = 25) {
  synth::RenderOptions options;
  options.duration_s = duration_s;
  options.tamper = tamper;
  options.tamper_s = tamper_s;
  auto scene = synth::Scene::create(scenario, 1, options);
  EXPECT_TRUE(scene.is_ok());
  Watched w;
  if (!scene.is_ok()) return w;
  const synth::Scene& s = **scene;
  ViewCheck check;
  const int step = static_cast<int>(s.fps() / 5);
  cv::Mat frame;
  cv::Mat small;
  for (int i = 0; i < s.frame_count(); i += step) {
    s.render(i, frame);
    cv::resize(frame, small, {320, 180}, 0, 0, cv::INTER_AREA);
    const double t = i / s.fps();
    const ViewState& state = check.update(small, {}, t);
    if (state.changed && !w.changed_at) {
      w.changed_at = t;
      w.problem = state.problem;
      w.detail = state.detail;
    }
    if (!state.changed && w.changed_at) w.restored = true;
  }
  return w;
}

struct TamperCase {
  synth::ViewTamper tamper;
  ViewProblem expected;
};

class ViewCheckTamperTest : public ::testing::TestWithParam<TamperCase> {};

TEST_P(ViewCheckTamperTest, IsFoundWithinTenSecondsWithItsReason) {
  constexpr double kTamperS = 10;
  const Watched w = watch("normal", GetParam().tamper, kTamperS);
  ASSERT_TRUE(w.changed_at) << to_string(GetParam().expected) << " was not found";
  const double delay = *w.changed_at - kTamperS;
  std::printf("view %s: found %.1f s after it happened (%s)\n",
              std::string(to_string(GetParam().expected)).c_str(), delay, w.detail.c_str());
  EXPECT_GE(delay, 0) << "found before it happened: " << w.detail;
  EXPECT_LE(delay, 10);
  EXPECT_EQ(w.problem, GetParam().expected) << w.detail;
  EXPECT_FALSE(w.restored) << "the tamper lasts to the end";
}

INSTANTIATE_TEST_SUITE_P(
    Rendered, ViewCheckTamperTest,
    ::testing::Values(TamperCase{synth::ViewTamper::kMoved, ViewProblem::kMoved},
                      TamperCase{synth::ViewTamper::kCovered, ViewProblem::kCovered},
                      TamperCase{synth::ViewTamper::kBlurred, ViewProblem::kBlurred},
                      TamperCase{synth::ViewTamper::kBlinded, ViewProblem::kBlinded}),
    [](const auto& p) { return std::string(to_string(p.param.expected)); });

class ViewCheckNormalTest : public ::testing::TestWithParam<std::string> {};

TEST_P(ViewCheckNormalTest, OrdinaryScenesNeverChangeTheView) {
  const Watched w = watch(GetParam(), synth::ViewTamper::kNone, 0, 30);
  EXPECT_FALSE(w.changed_at) << GetParam() << ": " << to_string(w.problem) << " at "
                             << w.changed_at.value_or(0) << " s: " << w.detail;
}

// normal: a sudden change of light halfway; crowd_rush and dense_crowd: crowds filling and
// crossing the plaza; abandoned_bag and fire: things that appear and stay.
INSTANTIATE_TEST_SUITE_P(Rendered, ViewCheckNormalTest,
                         ::testing::Values("normal", "crowd_rush", "dense_crowd", "abandoned_bag",
                                           "fire", "intrusion"));

// A supervisor accepting the new view makes it the reference: it is healthy from then on.
TEST(ViewCheckTest, AnAcceptedViewIsTheNewReference) {
  synth::RenderOptions options;
  options.duration_s = 20;
  auto scene = synth::Scene::create("normal", 2, options);
  ASSERT_TRUE(scene.is_ok());
  ViewCheck check;
  cv::Mat frame;
  cv::Mat small;
  bool changed = false;
  for (int i = 0; i < (*scene)->frame_count(); i += 5) {
    (*scene)->render(i, frame);
    const double t = i / (*scene)->fps();
    if (t >= 8) synth::apply_view_tamper(frame, synth::ViewTamper::kMoved);
    cv::resize(frame, small, {320, 180}, 0, 0, cv::INTER_AREA);
    const ViewState& s = check.update(small, {}, t);
    if (s.changed && !changed) {
      changed = true;
      check.accept();
      EXPECT_FALSE(check.state().changed);
      continue;
    }
    if (changed) {
      EXPECT_FALSE(s.changed) << "at " << t << " s: " << s.detail;
    }
  }
  EXPECT_TRUE(changed);
}

}  // namespace
}  // namespace vigie::perceive
