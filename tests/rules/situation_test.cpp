#include <gtest/gtest.h>

#include "rules/situation.hpp"

namespace vigie::rules {
namespace {

struct Recorder {
  std::vector<std::pair<Alert, AlertChange>> events;
  AlertSink sink() {
    return [this](const Alert& a, AlertChange c) { events.emplace_back(a, c); };
  }
  int count(AlertChange c) const {
    int n = 0;
    for (const auto& e : events) n += e.second == c ? 1 : 0;
    return n;
  }
};

/// Drives the tracker at 5 fps, with the condition true where `on(t)` says.
template <typename F>
void drive(SituationTracker& s, double from, double to, F on) {
  for (double t = from; t < to; t += 0.2) {
    if (on(t)) s.observe("z", "z", t, {.score = 0.8, .region = {1, 2, 3, 4}, .detail = "test"});
    s.end_frame(t);
  }
}

TEST(SituationTrackerTest, InertiaThenOneAlertUpdatedNotRepeated) {
  Recorder r;
  SituationTracker s({.inertia_s = 1.0, .clear_s = 2.0, .cooldown_s = 10.0}, EventType::kIntrusion,
                     "cam", r.sink());
  s.set_context({{"dwell_s", 1.0}}, "abc123");
  drive(s, 0, 0.9, [](double) { return true; });
  EXPECT_EQ(r.count(AlertChange::kRaised), 0) << "not before the inertia";
  drive(s, 1.0, 8.0, [](double) { return true; });
  EXPECT_EQ(r.count(AlertChange::kRaised), 1);
  EXPECT_GT(r.count(AlertChange::kUpdated), 20);
  const Alert& a = r.events.front().first;
  EXPECT_EQ(a.camera, "cam");
  EXPECT_EQ(a.type, EventType::kIntrusion);
  EXPECT_EQ(a.config_version, "abc123");
  ASSERT_EQ(a.params.size(), 1u);
  EXPECT_NEAR(a.start_s, 1.0, 0.21);
}

TEST(SituationTrackerTest, HeldBackWhileItMayNotRaiseWithoutRestartingTheInertia) {
  Recorder r;
  SituationTracker s({.inertia_s = 1.0, .clear_s = 2.0, .cooldown_s = 10.0}, EventType::kDensity,
                     "cam", r.sink());
  // The condition holds from 0 s; what else the rule asks for holds only from 3 s.
  for (double t = 0; t < 5; t += 0.2) {
    s.observe("z", "z", t, {.score = 0.8, .region = {1, 2, 3, 4}, .may_raise = t >= 3.0 - 1e-9});
    s.end_frame(t);
    if (t < 2.9) {
      ASSERT_EQ(r.count(AlertChange::kRaised), 0) << "held back at " << t;
    }
  }
  ASSERT_EQ(r.count(AlertChange::kRaised), 1);
  EXPECT_NEAR(r.events.front().first.start_s, 3.0, 0.01) << "the inertia ran meanwhile";
}

TEST(SituationTrackerTest, ShortGapsDoNotSplitASituation) {
  Recorder r;
  SituationTracker s({.inertia_s = 0.4, .clear_s = 2.0, .cooldown_s = 10.0}, EventType::kFire,
                     "cam", r.sink());
  // True, then a 1 s gap (shorter than clear_s), then true again.
  drive(s, 0, 10, [](double t) { return t < 3 || t > 4; });
  EXPECT_EQ(r.count(AlertChange::kRaised), 1);
  EXPECT_EQ(r.count(AlertChange::kEnded), 0);
}

TEST(SituationTrackerTest, EndsAfterClearAndCoolsDown) {
  Recorder r;
  SituationTracker s({.inertia_s = 0.4, .clear_s = 1.0, .cooldown_s = 10.0}, EventType::kDensity,
                     "cam", r.sink());
  drive(s, 0, 3, [](double) { return true; });
  drive(s, 3, 5, [](double) { return false; });
  EXPECT_EQ(r.count(AlertChange::kEnded), 1);
  EXPECT_EQ(s.open_alerts(), 0u);
  drive(s, 5, 9, [](double) { return true; });  // within the cooldown
  EXPECT_EQ(r.count(AlertChange::kRaised), 1);
  drive(s, 9, 20, [](double t) { return t > 15; });  // after the cooldown
  EXPECT_EQ(r.count(AlertChange::kRaised), 2);
  EXPECT_NE(r.events.front().first.id, r.events.back().first.id);
}

TEST(SituationTrackerTest, FlickeringConditionNeverRaises) {
  Recorder r;
  SituationTracker s({.inertia_s = 1.0, .clear_s = 0.3, .cooldown_s = 10.0}, EventType::kFire,
                     "cam", r.sink());
  int frame = 0;
  drive(s, 0, 20, [&](double) { return (frame++ % 6) < 2; });  // on 0.4 s, off 0.8 s
  EXPECT_EQ(r.count(AlertChange::kRaised), 0);
}

TEST(SituationTrackerTest, InertiaNeedsTheConditionThroughoutEvenWithALongClear) {
  Recorder r;
  SituationTracker s({.inertia_s = 5.0, .clear_s = 10.0, .cooldown_s = 60.0}, EventType::kDensity,
                     "cam", r.sink());
  // True 3 s, false 1.6 s, true 3 s: never 5 s in a row, though gaps are shorter than clear_s.
  drive(s, 0, 7.6, [](double t) { return t < 3 || t >= 4.6; });
  EXPECT_EQ(r.count(AlertChange::kRaised), 0);
  drive(s, 7.6, 12, [](double) { return true; });  // now 7.4 s in a row
  EXPECT_EQ(r.count(AlertChange::kRaised), 1);
}

}  // namespace
}  // namespace vigie::rules
