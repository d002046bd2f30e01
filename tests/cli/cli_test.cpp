// End-to-end tests of the `vigie` command: real processes, real files.

#include <filesystem>
#include <fstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "support/process.hpp"

namespace vigie {
namespace {

using test::run_command;
using test::TempDir;
using ::testing::HasSubstr;
using ::testing::Not;

std::string vigie(const std::string& args) {
  return test::vigie_binary() + " " + args;
}

TEST(CliTest, VersionNamesTheLibraries) {
  const auto r = run_command(vigie("--version"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("vigie 0."));
  EXPECT_THAT(r.out, HasSubstr("OpenCV 4."));
  EXPECT_THAT(r.out, HasSubstr("libavformat"));
}

TEST(CliTest, EverySubcommandHasHelp) {
  for (const char* sub : {"run", "demo", "synth", "check-config"}) {
    const auto r = run_command(vigie(std::string(sub) + " --help"));
    EXPECT_EQ(r.exit_code, 0) << sub;
    EXPECT_THAT(r.out, HasSubstr("Usage")) << sub;
    EXPECT_THAT(r.out, HasSubstr("--help")) << sub;
  }
  const auto none = run_command(vigie(""));
  EXPECT_EQ(none.exit_code, 2);
}

TEST(CliTest, CheckConfigAcceptsTheExampleWithoutShowingSecrets) {
  const auto r =
      run_command("CAMERA_PASSWORD=pw-never-shown " +
                  vigie(std::string("check-config ") + VIGIE_SOURCE_DIR + "/config/example.yaml"));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("valid (version "));
  EXPECT_THAT(r.out, HasSubstr("camera platform-1: rtsp://***@192.0.2.10:554/stream1"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr("pw-never-shown")));
  const auto json = run_command(
      "CAMERA_PASSWORD=pw-never-shown " +
      vigie(std::string("check-config --json ") + VIGIE_SOURCE_DIR + "/config/example.yaml"));
  EXPECT_EQ(json.exit_code, 0);
  EXPECT_THAT(json.out, HasSubstr("\"cameras\""));
  EXPECT_THAT(json.out, Not(HasSubstr("pw-never-shown")));
}

TEST(CliTest, CheckConfigReportsEveryErrorWithPathAndLine) {
  TempDir dir;
  test::write_file(dir / "bad.yaml",
                   "cameras:\n"
                   "  - id: cam1\n"
                   "    url: rtsp://admin:topsecret@h/x\n"
                   "    zones:\n"
                   "      - id: z\n"
                   "        polygon: [[0, 0], [1, 1]]\n"
                   "    colour: red\n");
  const auto r = run_command(vigie("check-config " + (dir / "bad.yaml").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err,
              HasSubstr("cameras[0].zones[0].polygon: needs at least 3 points, found 2 (line 6)"));
  EXPECT_THAT(r.err, HasSubstr("cameras[0].colour: unknown key"));
  EXPECT_THAT(r.err, HasSubstr("2 error(s); nothing was applied"));
  EXPECT_THAT(r.err, Not(HasSubstr("topsecret")));
}

TEST(CliTest, RunRefusesAnInvalidConfigurationBeforeStartingAnything) {
  TempDir dir;
  test::write_file(dir / "bad.yaml",
                   "cameras:\n  - id: c\n    url: x.mp4\n    analysis: {fps: 0}\n");
  const auto r = run_command(vigie("run --config " + (dir / "bad.yaml").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("cameras[0].analysis.fps: 0 is out of bounds (0.2 .. 30) (line 4)"));
  EXPECT_THAT(r.err, HasSubstr("not started"));
}

TEST(CliTest, ADetectorModelThatDoesNotLoadStopsTheStartNamingTheFile) {
  TempDir dir;
  test::write_file(dir / "broken.onnx", "not a network");
  test::write_file(dir / "node.yaml", "detector:\n  model: broken.onnx\n");
  const std::string model = (dir / "broken.onnx").string();
  auto r = run_command(vigie("check-config " + (dir / "node.yaml").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(model));
  r = run_command(vigie("run --config " + (dir / "node.yaml").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("not started"));
  EXPECT_THAT(r.err, HasSubstr(model));
  r = run_command(vigie("eval --synth-seeds 1 --scenario normal --detector " + model));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr(model));
}

TEST(CliTest, CheckConfigSchemaListsKeysWithDescriptions) {
  const auto r = run_command(vigie("check-config --schema"));
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("cameras[].analysis.fps  (number: 0.2 .. 30; default 5)"));
  EXPECT_THAT(r.out, HasSubstr("storage.evidence_days"));
}

TEST(CliTest, SynthRejectsAnUnknownScenario) {
  TempDir dir;
  const auto r = run_command(vigie("synth --scenario teleport --out " + (dir / "x").string()));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("teleport"));
  const auto list = run_command(vigie("synth --list"));
  EXPECT_EQ(list.exit_code, 0);
  for (const char* name : {"wrong_way", "intrusion", "crowd_rush", "dense_crowd", "abandoned_bag",
                           "attended_bag", "person_fall", "person_sitting", "fire", "normal"}) {
    EXPECT_THAT(list.out, HasSubstr(name));
  }
}

TEST(CliTest, RunPlaysASyntheticClipToItsEndAndReportsHealth) {
  TempDir dir;
  const auto synth = run_command(
      vigie("synth --scenario normal --seed 3 --duration 4 --out " + (dir / "scene").string()));
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  test::write_file(dir / "node.yaml",
                   "cameras:\n"
                   "  - id: street\n"
                   "    url: scene/video.mp4\n"
                   "    input: {realtime: false}\n"
                   "  - id: missing\n"
                   "    url: scene/absent.mp4\n"
                   "  - id: off\n"
                   "    url: scene/video.mp4\n"
                   "    enabled: false\n"
                   "storage: {data_dir: data}\n"
                   "api: {port: 0}\n");
  const auto r = run_command(
      vigie("run --status-interval 0 --duration 60 --config " + (dir / "node.yaml").string()));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, testing::ContainsRegex("street +ended .* 20 .*"));
  EXPECT_THAT(r.out, testing::ContainsRegex("missing +failed"));
  EXPECT_THAT(r.out, HasSubstr("disabled in configuration"));
}

// The capacity benchmark's figures are measured, not made up: a camera that plays its clip
// at its rate analyses at about that rate, costs some CPU, and the decode-only floor of the
// same source is cheaper than the whole analysis.
TEST(CliTest, BenchCapacityMeasuresOneStreamAndWritesItsFigures) {
  TempDir dir;
  const auto synth = run_command(
      vigie("synth --scenario normal --seed 4 --duration 8 --out " + (dir / "scene").string()));
  ASSERT_EQ(synth.exit_code, 0) << synth.err;
  const auto r = run_command(vigie("bench capacity --source " +
                                   (dir / "scene" / "video.mp4").string() +
                                   " --streams 1 --warmup 2 --duration 4 --dir " +
                                   (dir / "bench").string() + " --json " +
                                   (dir / "capacity.json").string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("decode only"));
  const auto figures = nlohmann::json::parse(std::ifstream(dir / "capacity.json"));
  ASSERT_EQ(figures["trials"].size(), 1u);
  const auto& trial = figures["trials"][0];
  EXPECT_EQ(trial["streams"], 1);
  EXPECT_GT(trial["core_per_stream"].get<double>(), 0.0);
  EXPECT_GT(trial["core_per_stream_by_role"]["decode+analysis"].get<double>(), 0.0);
  // Played at real-time pace, the camera analyses at its rate, give or take a busy machine.
  EXPECT_GT(trial["slowest_analysed_fps"].get<double>(), 0.5 * trial["target_fps"].get<double>());
  EXPECT_GT(figures["decode_only_core_per_stream"].get<double>(), 0.0);
  EXPECT_LT(figures["decode_only_core_per_stream"].get<double>(),
            trial["core_per_stream"].get<double>());
  // Every classical rule ran, and weapons (which need the detector) did not.
  EXPECT_THAT(r.out, HasSubstr("fire"));
  EXPECT_THAT(r.out, Not(HasSubstr("weapon")));
}

TEST(CliTest, DemoRendersOnceThenPlaysLive) {
  TempDir dir;
  const std::string args = "demo --scenario normal --duration 4 --dir " + dir.path().string();
  const auto first = run_command(vigie(args));
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("rendering scenario normal"));
  EXPECT_THAT(first.out, testing::ContainsRegex("synth-normal +live"));
  EXPECT_TRUE(std::filesystem::exists(dir / "normal/truth.json"));
  const auto second = run_command(vigie(args));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, Not(HasSubstr("rendering")));
}

}  // namespace
}  // namespace vigie
