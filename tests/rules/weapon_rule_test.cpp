// The weapon rule's window of looks, with a detector that answers later (as in asynchronous
// mode) and a density rule sharing it: what counts as a look at someone's hands.

#include <gtest/gtest.h>

#include "rules/rule.hpp"

namespace vigie::rules {
namespace {

struct WeaponWindow {
  std::vector<Alert> raised;
  std::unique_ptr<Rule> rule;
  DetectorLink link{DetectorPolicy{}, "model", {640, 360}, [](const DetectorRequest&) {
                      return true;  // accepted; the test delivers the answers itself
                    }};
  std::uint64_t next_answer = 1000;

  WeaponWindow() {
    const config::RuleConfig r = config::rule_defaults(EventType::kWeapon);  // 3 of 5 looks
    auto made = make_rule(r, CameraGeometry{},
                          {"cam",
                           [this](const Alert& a, AlertChange c) {
                             if (c == AlertChange::kRaised) raised.push_back(a);
                           },
                           "v", true});
    EXPECT_TRUE(made.is_ok()) << made.status().to_string();
    rule = std::move(made.value());
  }

  /// One frame with a person standing, and the answers that arrive during it.
  void frame(double t, std::initializer_list<std::pair<DetectorPurpose, bool>> answers) {
    link.begin_frame(t);
    for (const auto& [purpose, weapon] : answers) {
      DetectorAnswer a{next_answer++, {0, 0, 640, 360}, t, purpose, {}, 1.0};
      if (weapon) {
        Detection d;
        d.box = {110, 190, 10, 20};
        d.score = 0.9f;
        d.role = DetectionRole::kWeapon;
        a.found.push_back(d);
      }
      link.deliver(std::move(a));
    }
    track::Track person;
    person.id = 1;
    person.state = track::TrackState::kConfirmed;
    person.box = {100, 150, 30, 90};
    person.foot = {115, 240};
    const std::vector<track::Track> tracks{person};
    Scene scene;
    scene.t = t;
    scene.source_size = {640, 360};
    scene.tracks = tracks;
    scene.detector = &link;
    rule->evaluate(scene);
  }
};

TEST(WeaponRuleTest, PeopleCountsThatSawNoWeaponDoNotDiluteTheWindow) {
  WeaponWindow w;
  // Scans see the knife every third frame; in between, only people counts come back.
  for (int i = 0; i < 9; ++i) {
    const double t = 0.2 * i;
    if (i % 3 == 0) {
      w.frame(t, {{DetectorPurpose::kScan, true}});
    } else {
      w.frame(t, {{DetectorPurpose::kCount, false}, {DetectorPurpose::kCount, false}});
    }
  }
  ASSERT_EQ(w.raised.size(), 1u);
  EXPECT_EQ(w.raised[0].type, EventType::kWeapon);
}

TEST(WeaponRuleTest, ScansThatSawNothingStillCount) {
  WeaponWindow w;
  // The same rhythm with scans in between that saw nothing: 1 or 2 of the last 5 looks.
  for (int i = 0; i < 9; ++i) {
    const double t = 0.2 * i;
    w.frame(t, {{DetectorPurpose::kScan, i % 3 == 0}});
  }
  EXPECT_TRUE(w.raised.empty());
}

TEST(WeaponRuleTest, ACountThatSeesAWeaponIsALook) {
  WeaponWindow w;
  for (int i = 0; i < 3; ++i) w.frame(0.2 * i, {{DetectorPurpose::kCount, true}});
  EXPECT_EQ(w.raised.size(), 1u);
}

}  // namespace
}  // namespace vigie::rules
