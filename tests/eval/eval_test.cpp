#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "eval/match.hpp"
#include "eval/metrics.hpp"
#include "eval/privacy_leaks.hpp"
#include "eval/progress.hpp"
#include "eval/report.hpp"
#include "eval/truth.hpp"

namespace vigie::eval {
namespace {

using nlohmann::json;

TruthEvent truth(EventType type, double start, double end, cv::Rect2d region = {100, 100, 50, 50}) {
  return TruthEvent{type, start, end, region, ""};
}

ClipAlert alert(EventType type, double start, cv::Rect2d region = {110, 110, 20, 20},
                double score = 0.9) {
  return ClipAlert{type, start, start + 1.0, region, score, {}};
}

ClipInput clip(std::vector<TruthEvent> events, std::vector<ClipAlert> alerts,
               double duration_s = 60.0, std::string name = "clip") {
  ClipInput in;
  in.truth.path = name + "/video.mp4";
  in.truth.fps = 25;
  in.truth.width = 640;
  in.truth.height = 360;
  in.truth.events = std::move(events);
  in.alerts = std::move(alerts);
  in.duration_s = duration_s;
  return in;
}

constexpr EventType kFire = EventType::kFire;
constexpr EventType kIntrusion = EventType::kIntrusion;

// ---------------------------------------------------------------- matching

TEST(MatchTest, AlertTimingAgainstTruthAndGrace) {
  const std::vector<TruthEvent> truths = {truth(kFire, 10, 20)};
  const std::vector<ClipAlert> alerts = {
      alert(kFire, 9.9),    // too early
      alert(kFire, 21.5),   // inside the 2 s grace: counts
      alert(kFire, 22.01),  // after the grace
  };
  const ClipMatch m = match_clip(truths, alerts);
  EXPECT_EQ(m.alert_outcomes[0], AlertOutcome::kFalse);
  EXPECT_EQ(m.alert_outcomes[1], AlertOutcome::kDetection);
  EXPECT_EQ(m.alert_outcomes[2], AlertOutcome::kFalse);
  ASSERT_EQ(m.matched.size(), 1u);
  EXPECT_EQ(m.matched[0].truth, 0);
  EXPECT_EQ(m.matched[0].alert, 1);
  ASSERT_TRUE(m.time_to_detect_s[0]);
  EXPECT_DOUBLE_EQ(*m.time_to_detect_s[0], 11.5);
}

TEST(MatchTest, BoundariesAreInclusive) {
  const std::vector<TruthEvent> truths = {truth(kFire, 10, 20), truth(kFire, 30, 40)};
  const ClipMatch m = match_clip(truths, {alert(kFire, 10.0), alert(kFire, 42.0)});
  EXPECT_EQ(m.alert_outcomes[0], AlertOutcome::kDetection);
  EXPECT_EQ(m.alert_outcomes[1], AlertOutcome::kDetection);
}

TEST(MatchTest, WrongTypeAndNoOverlapAreFalse) {
  const std::vector<TruthEvent> truths = {truth(kFire, 0, 30, {100, 100, 50, 50})};
  const ClipMatch m = match_clip(
      truths, {alert(kIntrusion, 5), alert(kFire, 5, {150, 100, 40, 40}),  // touches, area 0
               alert(kFire, 5, {0, 0, 20, 20})});
  for (AlertOutcome o : m.alert_outcomes) EXPECT_EQ(o, AlertOutcome::kFalse);
  EXPECT_FALSE(m.time_to_detect_s[0]);
  EXPECT_TRUE(m.matched.empty());
}

TEST(MatchTest, MinimumOverlapIsAParameter) {
  const std::vector<TruthEvent> truths = {truth(kFire, 0, 30, {0, 0, 100, 100})};
  // Overlap of 10x100 over the smaller area (20x100): 0.5.
  const std::vector<ClipAlert> alerts = {alert(kFire, 1, {90, 0, 20, 100})};
  EXPECT_EQ(match_clip(truths, alerts).alert_outcomes[0], AlertOutcome::kDetection);
  EXPECT_EQ(match_clip(truths, alerts, {2.0, 0.5}).alert_outcomes[0], AlertOutcome::kDetection);
  EXPECT_EQ(match_clip(truths, alerts, {2.0, 0.6}).alert_outcomes[0], AlertOutcome::kFalse);
  EXPECT_FALSE((MatchOptions{2.0, 1.0}).validate().is_ok());
  EXPECT_FALSE((MatchOptions{-1.0, 0.0}).validate().is_ok());
  EXPECT_TRUE((MatchOptions{}).validate().is_ok());
}

TEST(MatchTest, DuplicatesCountOnceAndAreNotFalse) {
  const ClipMatch m =
      match_clip({truth(kFire, 0, 30)}, {alert(kFire, 8), alert(kFire, 3), alert(kFire, 12)});
  // The earliest alert (index 1) detects; the others are duplicates.
  EXPECT_EQ(m.alert_outcomes[0], AlertOutcome::kDuplicate);
  EXPECT_EQ(m.alert_outcomes[1], AlertOutcome::kDetection);
  EXPECT_EQ(m.alert_outcomes[2], AlertOutcome::kDuplicate);
  EXPECT_EQ(m.matched.size(), 3u);
  EXPECT_DOUBLE_EQ(*m.time_to_detect_s[0], 3.0);
}

TEST(MatchTest, TwoTruthsOfTheSameTypeEarliestToEarliest) {
  // Overlapping in time and space: the first alert may go to either truth.
  const std::vector<TruthEvent> truths = {truth(kFire, 5, 30), truth(kFire, 0, 30)};
  const ClipMatch m = match_clip(truths, {alert(kFire, 7), alert(kFire, 6)});
  // Alert 1 (6 s) is earlier and goes to the earlier truth (index 1, start 0).
  EXPECT_EQ(m.alert_truth[1], 1);
  EXPECT_EQ(m.alert_truth[0], 0);
  EXPECT_DOUBLE_EQ(*m.time_to_detect_s[1], 6.0);
  EXPECT_DOUBLE_EQ(*m.time_to_detect_s[0], 2.0);
}

TEST(MatchTest, AssignmentDetectsAsManyTruthsAsPossible) {
  // Alert 0 fits both truths, alert 1 only truth A: a greedy earliest-first assignment would
  // give alert 0 to A and leave B missed.
  const cv::Rect2d left{0, 0, 100, 100};
  const cv::Rect2d right{200, 0, 100, 100};
  const std::vector<TruthEvent> truths = {truth(kFire, 0, 20, left), truth(kFire, 1, 20, right)};
  const std::vector<ClipAlert> alerts = {alert(kFire, 2, {50, 0, 200, 50}),
                                         alert(kFire, 3, {10, 10, 10, 10})};
  const ClipMatch m = match_clip(truths, alerts);
  EXPECT_EQ(m.alert_truth[0], 1);
  EXPECT_EQ(m.alert_truth[1], 0);
  EXPECT_EQ(m.alert_outcomes[0], AlertOutcome::kDetection);
  EXPECT_EQ(m.alert_outcomes[1], AlertOutcome::kDetection);
}

TEST(MatchTest, DeterministicUnderInputOrderOfEqualAlerts) {
  const std::vector<TruthEvent> truths = {truth(kFire, 0, 20), truth(kFire, 0, 20)};
  const std::vector<ClipAlert> alerts = {alert(kFire, 4), alert(kFire, 4), alert(kFire, 4)};
  const ClipMatch a = match_clip(truths, alerts);
  const ClipMatch b = match_clip(truths, alerts);
  ASSERT_EQ(a.matched.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(a.matched[i].truth, b.matched[i].truth);
    EXPECT_EQ(a.matched[i].alert, b.matched[i].alert);
  }
  EXPECT_EQ(a.alert_truth[0], 0);
  EXPECT_EQ(a.alert_truth[1], 1);
  EXPECT_EQ(a.alert_outcomes[2], AlertOutcome::kDuplicate);
}

// ---------------------------------------------------------------- metrics

TEST(MetricsTest, CountsOverSeveralClipsIncludingANegative) {
  std::vector<ClipInput> clips;
  // Clip 1: fire detected late within grace + one duplicate + one false (wrong place).
  clips.push_back(clip({truth(kFire, 10, 20)},
                       {alert(kFire, 21), alert(kFire, 21.5), alert(kFire, 12, {0, 0, 10, 10})},
                       1800));
  // Clip 2: two fires, one missed; an intrusion alert with no truth.
  clips.push_back(clip({truth(kFire, 0, 10), truth(kFire, 40, 50)},
                       {alert(kFire, 2), alert(kIntrusion, 3)}, 900));
  // Clip 3: a negative; every alert is false.
  clips.push_back(clip({}, {alert(kFire, 1), alert(kIntrusion, 2)}, 900));
  const Result<Evaluation> ev = evaluate(std::move(clips));
  ASSERT_TRUE(ev.is_ok()) << ev.status().to_string();
  EXPECT_DOUBLE_EQ(ev->camera_hours, 1.0);

  const EventMetrics& fire = ev->of(kFire);
  EXPECT_EQ(fire.truth, 3);
  EXPECT_EQ(fire.tp, 2);
  EXPECT_EQ(fire.fn, 1);
  EXPECT_EQ(fire.fp, 2);
  EXPECT_EQ(fire.duplicates, 1);
  EXPECT_EQ(fire.detections, 2);
  // Matched alerts 3 (2 detections + 1 duplicate), false 2.
  EXPECT_DOUBLE_EQ(*fire.precision, 3.0 / 5.0);
  EXPECT_DOUBLE_EQ(*fire.recall, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(*fire.f1, 2 * 0.6 * (2.0 / 3.0) / (0.6 + 2.0 / 3.0));
  EXPECT_DOUBLE_EQ(*fire.false_alerts_per_camera_hour, 2.0);
  ASSERT_EQ(fire.ttd_s.size(), 2u);
  EXPECT_DOUBLE_EQ(fire.ttd_s[0], 2.0);
  EXPECT_DOUBLE_EQ(fire.ttd_s[1], 11.0);
  EXPECT_DOUBLE_EQ(*fire.ttd_median_s, 6.5);

  const EventMetrics& intrusion = ev->of(kIntrusion);
  EXPECT_EQ(intrusion.truth, 0);
  EXPECT_EQ(intrusion.fp, 2);
  EXPECT_DOUBLE_EQ(*intrusion.precision, 0.0);
  EXPECT_FALSE(intrusion.recall);
  EXPECT_DOUBLE_EQ(*intrusion.f1, 0.0);
  EXPECT_FALSE(intrusion.ttd_median_s);

  const EventMetrics& weapon = ev->of(EventType::kWeapon);
  EXPECT_FALSE(weapon.precision);
  EXPECT_FALSE(weapon.recall);
  EXPECT_FALSE(weapon.f1);
  EXPECT_DOUBLE_EQ(*weapon.false_alerts_per_camera_hour, 0.0);
}

TEST(MetricsTest, MissedTruthsWithoutAlerts) {
  const Result<Evaluation> ev = evaluate({clip({truth(kFire, 0, 5)}, {}, 3600)});
  ASSERT_TRUE(ev.is_ok());
  const EventMetrics& fire = ev->of(kFire);
  EXPECT_EQ(fire.fn, 1);
  EXPECT_FALSE(fire.precision);
  EXPECT_DOUBLE_EQ(*fire.recall, 0.0);
  EXPECT_DOUBLE_EQ(*fire.f1, 0.0);
}

TEST(MetricsTest, PerfectScores) {
  const Result<Evaluation> ev = evaluate({clip({truth(kFire, 0, 5)}, {alert(kFire, 1)}, 7200)});
  ASSERT_TRUE(ev.is_ok());
  EXPECT_DOUBLE_EQ(*ev->of(kFire).precision, 1.0);
  EXPECT_DOUBLE_EQ(*ev->of(kFire).recall, 1.0);
  EXPECT_DOUBLE_EQ(*ev->of(kFire).f1, 1.0);
  EXPECT_DOUBLE_EQ(*ev->of(kFire).false_alerts_per_camera_hour, 0.0);
}

TEST(MetricsTest, DurationFromTruthOrRequired) {
  ClipInput in = clip({}, {alert(kFire, 1)});
  in.duration_s.reset();
  const Result<Evaluation> missing = evaluate({in});
  ASSERT_FALSE(missing.is_ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(missing.status().message().find("clip/video.mp4"), std::string::npos);

  in.truth.duration_s = 1800;  // half an hour
  const Result<Evaluation> ev = evaluate({in});
  ASSERT_TRUE(ev.is_ok());
  EXPECT_DOUBLE_EQ(*ev->of(kFire).false_alerts_per_camera_hour, 2.0);

  EXPECT_FALSE(evaluate({clip({}, {}, 0.0)}).is_ok());
  EXPECT_FALSE(evaluate({}, MatchOptions{-1, 0}).is_ok());
}

TEST(MetricsTest, NoClipsMeansUndefinedRates) {
  const Result<Evaluation> ev = evaluate({});
  ASSERT_TRUE(ev.is_ok());
  EXPECT_FALSE(ev->of(kFire).false_alerts_per_camera_hour);
}

TEST(PercentileTest, KnownList) {
  const std::vector<double> v = {7, 1, 3, 5, 9, 2, 8, 4, 6, 10};
  EXPECT_DOUBLE_EQ(*percentile(v, 50), 5.5);
  EXPECT_DOUBLE_EQ(*percentile(v, 95), 9.55);  // rank 8.55 between 9 and 10
  EXPECT_DOUBLE_EQ(*percentile(v, 0), 1.0);
  EXPECT_DOUBLE_EQ(*percentile(v, 100), 10.0);
  EXPECT_DOUBLE_EQ(*percentile({4.0}, 95), 4.0);
  EXPECT_DOUBLE_EQ(*percentile({1, 2, 3}, 50), 2.0);
  EXPECT_FALSE(percentile({}, 50));
}

TEST(MetricsTest, TimeToDetectMedianAndP95) {
  // Ten truths on separate clips detected 1..10 s after their start.
  std::vector<ClipInput> clips;
  for (int i = 1; i <= 10; ++i) clips.push_back(clip({truth(kFire, 5, 30)}, {alert(kFire, 5 + i)}));
  const Result<Evaluation> ev = evaluate(std::move(clips));
  ASSERT_TRUE(ev.is_ok());
  EXPECT_DOUBLE_EQ(*ev->of(kFire).ttd_median_s, 5.5);
  EXPECT_DOUBLE_EQ(*ev->of(kFire).ttd_p95_s, 9.55);
}

// ---------------------------------------------------------------- truth.json

constexpr std::string_view kGoodTruth = R"({
  "video": "video.mp4", "fps": 25, "size": [640, 360], "frames": 750,
  "events": [
    {"type": "fire", "start": 1.5, "end": 10, "region": [10, 20, 30, 40], "note": "smoke"},
    {"type": "wrong_way", "start": 3, "end": 3, "region": [0, 0, 640, 360]}
  ],
  "persons": [{"frame": 0, "t": 0, "boxes": [[10, 20, 30, 40]]}]
})";

TEST(TruthTest, ParsesAllFields) {
  const Result<TruthClip> clip = parse_truth(kGoodTruth, "truth.json", "/data/a");
  ASSERT_TRUE(clip.is_ok()) << clip.status().to_string();
  EXPECT_EQ(clip->path, std::filesystem::path("/data/a/video.mp4"));
  EXPECT_DOUBLE_EQ(clip->fps, 25);
  EXPECT_EQ(clip->width, 640);
  EXPECT_EQ(clip->height, 360);
  EXPECT_DOUBLE_EQ(*clip->duration_s, 30.0);
  ASSERT_EQ(clip->events.size(), 2u);
  EXPECT_EQ(clip->events[0].type, kFire);
  EXPECT_DOUBLE_EQ(clip->events[0].start_s, 1.5);
  EXPECT_EQ(clip->events[0].region, cv::Rect2d(10, 20, 30, 40));
  EXPECT_EQ(clip->events[0].note, "smoke");
  EXPECT_EQ(clip->events[1].type, EventType::kWrongWay);
  ASSERT_EQ(clip->persons.size(), 1u);
  EXPECT_EQ(clip->persons[0].boxes, (std::vector<cv::Rect2d>{{10, 20, 30, 40}}));
}

TEST(TruthTest, NegativeIsAnEmptyList) {
  const Result<TruthClip> clip =
      parse_truth(R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "events": []})", "t");
  ASSERT_TRUE(clip.is_ok());
  EXPECT_TRUE(clip->events.empty());
  EXPECT_FALSE(clip->duration_s);
}

std::string truth_error(std::string_view text) {
  const Result<TruthClip> clip = parse_truth(text, "truth.json");
  EXPECT_FALSE(clip.is_ok());
  EXPECT_EQ(clip.status().code(), StatusCode::kInvalidArgument);
  return clip.status().message();
}

TEST(TruthTest, ErrorsNameTheFileAndField) {
  const std::string head = R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "events": [)";
  const std::string ok = R"({"type": "fire", "start": 0, "end": 1, "region": [0, 0, 10, 10]})";
  EXPECT_EQ(truth_error(head + ok + "," + ok + "," +
                        R"({"type": "smoke", "start": 0, "end": 1, "region": [0, 0, 10, 10]}]})"),
            "truth.json: events[2].type: 'smoke' is not one of the eight event types");
  EXPECT_EQ(truth_error(head + R"({"type": "fire", "start": 5, "end": 1, "region": [0,0,1,1]}]})"),
            "truth.json: events[0].end: 1 is before start 5");
  EXPECT_EQ(truth_error(head + R"({"type": "fire", "start": 0, "end": 1}]})"),
            "truth.json: events[0].region: is required");
  EXPECT_EQ(
      truth_error(head + R"({"type": "fire", "start": 0, "end": 1, "region": [0, 0, 0, 5]}]})"),
      "truth.json: events[0].region: width and height must be > 0");
  EXPECT_EQ(
      truth_error(head + R"({"type": "fire", "start": 0, "end": 1, "region": [300, 0, 50, 5]}]})"),
      "truth.json: events[0].region: [300, 0, 50, 5] is not inside the 320x240 frame");
  EXPECT_EQ(
      truth_error(head + R"({"type": "fire", "start": "0", "end": 1, "region": [0,0,1,1]}]})"),
      "truth.json: events[0].start: must be a number, not \"0\"");
  EXPECT_EQ(truth_error(head + R"({"type": "fire", "strat": 0, "end": 1, "region": [0,0,1,1]}]})"),
            "truth.json: events[0].strat: unknown key");
  EXPECT_EQ(truth_error(R"({"video": "v.mp4", "fps": 0, "size": [320, 240], "events": []})"),
            "truth.json: fps: must be > 0");
  EXPECT_EQ(truth_error(R"({"video": "v.mp4", "fps": 30, "size": [320], "events": []})"),
            "truth.json: size: must be [width, height], positive integers in pixels");
  EXPECT_EQ(truth_error(R"({"video": "v.mp4", "fps": 30, "size": [320, 240]})"),
            "truth.json: events: is required (an empty list for a negative)");
  EXPECT_EQ(
      truth_error(R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "events": [], "x": 1})"),
      "truth.json: x: unknown key");
  EXPECT_EQ(truth_error(R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "duration": 10,
                            "frames": 600, "events": []})"),
            "truth.json: frames: 600 frames at 30 fps is 20 s, but duration is 10 s");
  EXPECT_EQ(truth_error(R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "duration": 10,
      "events": [{"type": "fire", "start": 11, "end": 12, "region": [0,0,1,1]}]})"),
            "truth.json: events[0].start: 11 is after the end of the clip (10 s)");
  EXPECT_NE(truth_error("{\"video\": ").find("truth.json: not valid JSON"), std::string::npos);
  // A number no double holds is refused like a syntax error, not thrown.
  EXPECT_NE(truth_error(R"({"video": "v.mp4", "fps": 1)" + std::string(400, '0') + "}")
                .find("truth.json: not valid JSON"),
            std::string::npos);
}

TEST(TruthTest, LoadsAFileAndReportsMissingOnes) {
  const auto dir =
      std::filesystem::temp_directory_path() /
      ("vigie-eval-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "truth.json") << kGoodTruth;
  const Result<TruthClip> clip = load_truth(dir / "truth.json");
  ASSERT_TRUE(clip.is_ok()) << clip.status().to_string();
  EXPECT_EQ(clip->path, dir / "video.mp4");
  EXPECT_EQ(clip->truth_path, dir / "truth.json");

  std::ofstream(dir / "bad.json") << R"({"video": "v", "fps": -1, "size": [1, 1], "events": []})";
  const Result<TruthClip> bad = load_truth(dir / "bad.json");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(), (dir / "bad.json").string() + ": fps: must be > 0");

  const Result<TruthClip> missing = load_truth(dir / "nope.json");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  std::filesystem::remove_all(dir);
}

TEST(TruthTest, SharedClipsLoadWhenPresent) {
  const std::filesystem::path data = std::filesystem::path(VIGIE_SHARED_DIR) / "data";
  if (!std::filesystem::exists(data)) GTEST_SKIP() << "no shared clips in " << data;
  int loaded = 0;
  for (const auto& entry : std::filesystem::directory_iterator(data)) {
    if (!std::filesystem::exists(entry.path() / "truth.json")) continue;
    const Result<TruthClip> clip = load_truth(entry.path() / "truth.json");
    EXPECT_TRUE(clip.is_ok()) << clip.status().to_string();
    ++loaded;
  }
  if (loaded == 0) GTEST_SKIP() << "no truth.json under " << data;
}

// ---------------------------------------------------------------- reports

Evaluation sample_evaluation() {
  std::vector<ClipInput> clips;
  clips.push_back(clip({truth(kFire, 10, 20)},
                       {alert(kFire, 21), alert(kFire, 21.5), alert(kFire, 12, {0, 0, 10, 10})},
                       1800, "a<b"));
  clips[0].alerts[1].model_hash = std::string(64, 'e');  // confirmed by a detector
  clips.push_back(clip({}, {alert(kIntrusion, 2)}, 1800, "negative"));
  Result<Evaluation> ev = evaluate(std::move(clips));
  EXPECT_TRUE(ev.is_ok());
  return std::move(ev).value();
}

TEST(ReportTest, JsonStructureAndValues) {
  const Evaluation ev = sample_evaluation();
  const json doc = json::parse(to_json(ev).dump());
  ASSERT_TRUE(doc.contains("events"));
  ASSERT_EQ(doc["events"].size(), 8u);
  const json& fire = doc["events"]["fire"];
  EXPECT_EQ(fire["truth"], 1);
  EXPECT_EQ(fire["tp"], 1);
  EXPECT_EQ(fire["fp"], 1);
  EXPECT_EQ(fire["fn"], 0);
  EXPECT_DOUBLE_EQ(fire["precision"].get<double>(), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(fire["recall"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(fire["false_alerts_per_camera_hour"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(fire["ttd_median_s"].get<double>(), 11.0);
  EXPECT_EQ(fire.size(), 10u);
  const json& weapon = doc["events"]["weapon"];
  EXPECT_TRUE(weapon["precision"].is_null());
  EXPECT_TRUE(weapon["recall"].is_null());
  EXPECT_TRUE(weapon["f1"].is_null());
  EXPECT_TRUE(weapon["ttd_median_s"].is_null());
  EXPECT_TRUE(weapon["ttd_p95_s"].is_null());
  EXPECT_TRUE(doc["events"]["intrusion"]["recall"].is_null());
  EXPECT_EQ(to_json(ev).dump().find("NaN"), std::string::npos);
  // Keys keep the documented order, for people reading the file.
  const std::string text = to_json(ev).dump();
  EXPECT_LT(text.find("\"events\""), text.find("\"clips\""));
  EXPECT_LT(text.find("\"truth\""), text.find("\"ttd_p95_s\""));
  EXPECT_LT(text.find("\"path\""), text.find("\"matched\""));

  ASSERT_EQ(doc["clips"].size(), 2u);
  const json& c0 = doc["clips"][0];
  EXPECT_EQ(c0["path"], "a<b/video.mp4");
  ASSERT_EQ(c0["alerts"].size(), 3u);
  EXPECT_EQ(c0["alerts"][2]["type"], "fire");
  EXPECT_DOUBLE_EQ(c0["alerts"][2]["start"].get<double>(), 12.0);
  EXPECT_EQ(c0["alerts"][2]["region"], json::array({0.0, 0.0, 10.0, 10.0}));
  EXPECT_DOUBLE_EQ(c0["alerts"][2]["score"].get<double>(), 0.9);
  EXPECT_EQ(c0["alerts"][1]["model"], std::string(64, 'e'));
  EXPECT_FALSE(c0["alerts"][2].contains("model")) << "decided classically";
  EXPECT_EQ(c0["matched"], json::parse(R"([{"truth": 0, "alert": 0}, {"truth": 0, "alert": 1}])"));
  EXPECT_TRUE(doc["clips"][1]["matched"].empty());
}

TEST(ReportTest, AlertsRoundTripAndReMatchTheSame) {
  const Evaluation ev = sample_evaluation();
  const json doc = json::parse(to_json(ev).dump(2));
  for (std::size_t c = 0; c < ev.clips.size(); ++c) {
    const Result<std::vector<ClipAlert>> alerts =
        alerts_from_json(doc["clips"][c]["alerts"], "report.json");
    ASSERT_TRUE(alerts.is_ok()) << alerts.status().to_string();
    ASSERT_EQ(alerts->size(), ev.clips[c].alerts.size());
    for (std::size_t a = 0; a < alerts->size(); ++a) {
      EXPECT_EQ((*alerts)[a].type, ev.clips[c].alerts[a].type);
      EXPECT_DOUBLE_EQ((*alerts)[a].start_s, ev.clips[c].alerts[a].start_s);
      EXPECT_DOUBLE_EQ((*alerts)[a].end_s, ev.clips[c].alerts[a].end_s);
      EXPECT_EQ((*alerts)[a].region, ev.clips[c].alerts[a].region);
      EXPECT_DOUBLE_EQ((*alerts)[a].score, ev.clips[c].alerts[a].score);
      EXPECT_EQ((*alerts)[a].model_hash, ev.clips[c].alerts[a].model_hash);
    }
    const ClipMatch again = match_clip(ev.clips[c].truth.events, *alerts);
    json matched = json::array();
    for (const MatchPair& p : again.matched)
      matched.push_back({{"truth", p.truth}, {"alert", p.alert}});
    EXPECT_EQ(matched, doc["clips"][c]["matched"]);
  }
  const Result<std::vector<ClipAlert>> bad =
      alerts_from_json(json::parse(R"([{"type": "smoke", "start": 0, "end": 1, "region": [0,0,1,1],
                                         "score": 1}])"),
                       "alerts.json");
  ASSERT_FALSE(bad.is_ok());
  EXPECT_EQ(bad.status().message(),
            "alerts.json: [0].type: 'smoke' is not one of the eight event types");
  const Result<std::vector<ClipAlert>> bad_model =
      alerts_from_json(json::parse(R"([{"type": "fire", "start": 0, "end": 1, "region": [0,0,1,1],
                                         "score": 1, "model": 7}])"),
                       "alerts.json");
  ASSERT_FALSE(bad_model.is_ok());
  EXPECT_EQ(bad_model.status().message(),
            "alerts.json: [0].model: must be a string (a model's SHA-256)");
}

TEST(ReportTest, TableShowsDashesNotNaN) {
  const std::string table = format_table(sample_evaluation());
  EXPECT_EQ(table.find("nan"), std::string::npos);
  EXPECT_NE(table.find("—"), std::string::npos);
  std::istringstream lines(table);
  std::string line;
  std::getline(lines, line);
  EXPECT_NE(line.find("TTD p95"), std::string::npos);
  int rows = 0;
  std::string fire_row;
  while (std::getline(lines, line)) {
    if (line.rfind("fire ", 0) == 0) fire_row = line;
    ++rows;
  }
  EXPECT_EQ(rows, 9);  // eight event types and a footer
  EXPECT_NE(fire_row.find("0.667"), std::string::npos) << fire_row;
  EXPECT_NE(fire_row.find("11.00s"), std::string::npos) << fire_row;
}

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + 1)) ++n;
  return n;
}

TEST(ReportTest, HtmlIsSelfContainedWithOneSvgPerPlot) {
  const Evaluation ev = sample_evaluation();
  const std::string html = render_html(ev, "run <1>");
  EXPECT_EQ(count(html, "<svg"), 2 + static_cast<int>(ev.clips.size()));
  EXPECT_EQ(count(html, "</svg>"), count(html, "<svg"));
  EXPECT_EQ(count(html, "http:"), 0);
  EXPECT_EQ(count(html, "https:"), 0);
  EXPECT_EQ(count(html, "<script"), 0);
  EXPECT_EQ(count(html, "<link"), 0);
  EXPECT_EQ(count(html, "@import"), 0);
  EXPECT_NE(html.find("run &lt;1&gt;"), std::string::npos);
  EXPECT_NE(html.find("a&lt;b"), std::string::npos);
  EXPECT_EQ(html.find("a<b"), std::string::npos);
  EXPECT_EQ(html.find("nan"), std::string::npos);
  // The timeline of the first clip shows its false alert and duplicate.
  EXPECT_NE(html.find("false alert"), std::string::npos);
  EXPECT_NE(html.find("duplicate"), std::string::npos);
}

TEST(ReportTest, HtmlForAnEmptyEvaluation) {
  const Result<Evaluation> ev = evaluate({});
  ASSERT_TRUE(ev.is_ok());
  const std::string html = render_html(*ev);
  EXPECT_EQ(count(html, "<svg"), 2);
}

// ---------------------------------------------------------------- progress bar

TEST(ProgressBarTest, DrawsOnASink) {
  std::string out;
  {
    ProgressBar bar([&](std::string_view s) { out += s; }, 4, 10);
    EXPECT_TRUE(bar.active());
    bar.update(1, "clip-a");
    EXPECT_EQ(out, "\r[##        ] 1/4 clip-a");
    out.clear();
    bar.update(4, "b");
    // Padded so that the longer previous line is erased.
    EXPECT_EQ(out, "\r[##########] 4/4 b     ");
    out.clear();
    bar.update(9);
    EXPECT_EQ(out, "\r[##########] 4/4       ");
    out.clear();
  }
  EXPECT_EQ(out, "\n");
}

TEST(ProgressBarTest, NothingWhenNeverDrawnOrZeroTotal) {
  std::string out;
  {
    ProgressBar bar([&](std::string_view s) { out += s; }, 3, 10);
  }
  EXPECT_EQ(out, "");
  EXPECT_EQ(ProgressBar::render(0, 0, 4, ""), "\r[####] 0/0");
  EXPECT_EQ(ProgressBar::render(-2, 5, 5, "x"), "\r[     ] 0/5 x");
}

TEST(ProgressBarTest, NoOpWhenNotATerminalOrDisabled) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  {
    ProgressBar bar(file, 3);
    EXPECT_FALSE(bar.active());
    bar.update(1, "x");
    ProgressBar off(stderr, 3, /*enabled=*/false);
    EXPECT_FALSE(off.active());
    off.update(2, "y");
  }
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);
}

}  // namespace
}  // namespace vigie::eval

namespace vigie::eval {
namespace {

TEST(ClipAlertTest, KeepsTheRaisedAlertAndItsEnd) {
  Alert a;
  a.type = EventType::kFire;
  a.start_s = 4.2;
  a.last_s = 9.0;  // the end comes from the caller, not from the raised copy
  a.region = {1, 2, 3, 4};
  a.score = 0.7;
  const ClipAlert c = clip_alert(a, 12.5);
  EXPECT_EQ(c.type, EventType::kFire);
  EXPECT_DOUBLE_EQ(c.start_s, 4.2);
  EXPECT_DOUBLE_EQ(c.end_s, 12.5);
  EXPECT_EQ(c.region, cv::Rect2d(1, 2, 3, 4));
  EXPECT_DOUBLE_EQ(c.score, 0.7);
}

// ---------------------------------------------------------------- privacy leaks

/// A 10 s clip at 10 fps where one person walks right, 10 px a frame.
TruthClip walking_truth() {
  TruthClip t;
  t.fps = 10;
  t.width = 640;
  t.height = 360;
  for (int i = 0; i < 100; ++i) t.persons.push_back({i / 10.0, {{10.0 + 5 * i, 100, 20, 50}}});
  return t;
}

/// What a map that saw the person would hide, at 5 analysed frames a second: their box with
/// a quarter of its height around it.
std::vector<evidence::TimedBoxes> history_of(const TruthClip& t, double blind_from = 1e9) {
  std::vector<evidence::TimedBoxes> h;
  for (std::size_t i = 0; i < t.persons.size(); i += 2) {
    const double ts = t.persons[i].t_s;
    evidence::TimedBoxes e{ts, {}, {}};
    for (const cv::Rect2d& b : t.persons[i].boxes) {
      if (ts < blind_from) e.boxes.emplace_back(b.x - 12, b.y - 12, b.width + 24, b.height + 24);
    }
    h.push_back(e);
  }
  return h;
}

/// The walking clip, seen by the analysis throughout, with one alert at 5 s, checked.
PrivacyCheck check_walker_with_an_alert() {
  const TruthClip truth = walking_truth();
  const auto history = history_of(truth);
  Alert a;
  a.id = "7";
  a.type = EventType::kWrongWay;
  a.start_s = 5.0;
  return check_privacy({"walk", &truth, &history, {a}, {}, 0.10});
}

TEST(PrivacyLeaksTest, NothingLeaksWhenEveryPersonIsHidden) {
  const PrivacyCheck c = check_walker_with_an_alert();
  EXPECT_EQ(c.wall_frames, 10);           // seconds 0..9
  EXPECT_EQ(c.evidence_frames, 100);      // from 5 s before to the clip's end
  EXPECT_EQ(c.person_boxes, 110);
  EXPECT_TRUE(c.leaks.empty()) << c.leaks.front().image << " " << c.leaks.front().t_s;
}

TEST(PrivacyLeaksTest, MeasuresTheShareOfTheWallAndOfTheEvidenceHidden) {
  const PrivacyCheck c = check_walker_with_an_alert();
  // The wall hides the walker's grown box: (20 + 24) x (50 + 24) pixels, 10 % more on each
  // side, out of 640 x 360.
  const double one_box = std::ceil(44 * 1.2) * std::ceil(74 * 1.2) / (640.0 * 360.0);
  EXPECT_NEAR(c.wall_hidden_share, one_box, 0.01);
  // Evidence frames join the analysed frames around them, and the last one, after the last
  // analysed frame, is hidden whole: more is hidden there than on the wall.
  EXPECT_GT(c.evidence_hidden_share, c.wall_hidden_share);
  EXPECT_LT(c.evidence_hidden_share, 0.2);
  const auto j = privacy_to_json({c});
  EXPECT_DOUBLE_EQ(j["wall_hidden_share"].get<double>(), c.wall_hidden_share);
  EXPECT_DOUBLE_EQ(j["evidence_hidden_share"].get<double>(), c.evidence_hidden_share);
  EXPECT_NE(format_privacy({c}).find("% of the evidence"), std::string::npos);
}

TEST(PrivacyLeaksTest, ListsEachLeakWithItsImageAndTime) {
  const TruthClip truth = walking_truth();
  const auto history = history_of(truth, 8.0);  // the analysis stops seeing them at 8 s
  const PrivacyCheck c = check_privacy({"walk", &truth, &history, {}, {}, 0.10});
  ASSERT_EQ(c.leaks.size(), 2u);  // the wall at 8 and 9 s
  EXPECT_EQ(c.leaks[0].image, "wall");
  EXPECT_DOUBLE_EQ(c.leaks[0].t_s, 8.0);
  EXPECT_DOUBLE_EQ(c.leaks[0].clear_share, 1.0);
  const auto j = privacy_to_json({c});
  EXPECT_EQ(j["leaking_boxes"], 2);
  EXPECT_NE(format_privacy({c}).find("leak: walk wall at 8.00 s"), std::string::npos);
}

TEST(PrivacyLeaksTest, AFireAlertsRegionStaysReadableUnlessAPersonIsOverIt) {
  TruthClip truth = walking_truth();
  auto history = history_of(truth);
  Alert fire;
  fire.id = "9";
  fire.type = EventType::kFire;
  fire.start_s = 5.0;
  fire.region = cv::Rect2d(0, 0, 640, 360);  // the whole view is the subject
  // Foreground alone over the subject is not hidden: the walker shows.
  PrivacyCheck c = check_privacy({"fire", &truth, &history, {fire}, {}, 0.10});
  // Every evidence frame but the last, after the last analysed frame, hidden whole; the
  // wall has no subject.
  EXPECT_EQ(c.leaks.size(), 99u);
  // Believed to be a person, the walker stays hidden over the subject too.
  for (auto& e : history) e.persons = e.boxes;
  c = check_privacy({"fire", &truth, &history, {fire}, {}, 0.10});
  EXPECT_TRUE(c.leaks.empty());
}

TEST(TruthTest, PersonsErrorsNameTheField) {
  const std::string head = R"({"video": "v.mp4", "fps": 30, "size": [320, 240], "events": [], )";
  EXPECT_EQ(truth_error(head + R"("persons": [{"t": 0, "boxes": [[1, 2, 3]]}]})"),
            "truth.json: persons[0].boxes[0]: must be [x, y, w, h] numbers");
  EXPECT_EQ(truth_error(head + R"("persons": [{"t": 1, "boxes": []}, {"t": 0, "boxes": []}]})"),
            "truth.json: persons[1].t: goes back in time");
  EXPECT_EQ(truth_error(head + R"("persons": [{"t": 0, "box": []}]})"),
            "truth.json: persons[0].box: unknown key");
}

}  // namespace
}  // namespace vigie::eval
