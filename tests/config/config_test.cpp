#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <set>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/loader.hpp"
#include "config/to_json.hpp"
#include "core/redact.hpp"

namespace vigie::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ParseContext env_with(std::map<std::string, std::string> vars) {
  ParseContext ctx;
  ctx.env = [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  return ctx;
}

LoadResult parse(const std::string& yaml) {
  return parse_config(yaml, "/base", env_with({}));
}

std::string errors_of(const std::string& yaml) {
  const LoadResult r = parse(yaml);
  EXPECT_FALSE(r.ok()) << "expected errors for:\n" << yaml;
  return r.error_text("test.yaml");
}

const char* kCamera = R"(
cameras:
  - id: cam1
    url: rtsp://127.0.0.1/x
)";

TEST(ConfigTest, MinimalConfigTakesDefaults) {
  const LoadResult r = parse(kCamera);
  ASSERT_TRUE(r.ok()) << r.error_text("test");
  const CameraConfig& c = r.config->cameras.at(0);
  EXPECT_EQ(c.id, "cam1");
  EXPECT_DOUBLE_EQ(c.analysis.fps, 5.0);
  EXPECT_EQ(c.analysis.width, 320);
  EXPECT_EQ(c.input.rtsp_transport, RtspTransport::kTcp);
  EXPECT_DOUBLE_EQ(c.input.ring_seconds, 20.0);
  EXPECT_EQ(r.config->api.listen, "127.0.0.1");
  EXPECT_EQ(r.config->storage.evidence_days, 30);
}

TEST(ConfigTest, HwAccelDefaultsToSoftwareAndAcceptsEachDevice) {
  const LoadResult defaults = parse(kCamera);
  ASSERT_TRUE(defaults.ok()) << defaults.error_text("test");
  EXPECT_EQ(defaults.config->cameras.at(0).input.hwaccel, HwAccel::kNone);
  for (const HwAccel accel :
       {HwAccel::kNone, HwAccel::kAuto, HwAccel::kVaapi, HwAccel::kQsv, HwAccel::kCuda}) {
    const std::string name(to_string(accel));
    const LoadResult r = parse(std::string(kCamera) + "    input:\n      hwaccel: " + name + "\n");
    ASSERT_TRUE(r.ok()) << name << ": " << r.error_text("test");
    const CameraConfig& c = r.config->cameras.at(0);
    EXPECT_EQ(c.input.hwaccel, accel) << name;
    // Shown back as written: the engine compares this form to decide whether to reopen.
    EXPECT_EQ(to_json(c, true)["input"]["hwaccel"], name);
  }
}

// The config fuzzer's seeds (tests/fuzz/corpus/config) start it from inputs that reach every
// part of the parser: those named bad-* are refused with errors naming each key, the others
// parse, so a schema change cannot quietly turn a seed into one that stops at its first key.
TEST(ConfigTest, FuzzSeedsParseOrFailAsTheirNamesSay) {
  const auto dir = std::filesystem::path(VIGIE_SOURCE_DIR) / "tests/fuzz/corpus/config";
  std::set<HwAccel> accels;
  int seeds = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const std::string name = entry.path().filename().string();
    ++seeds;
    // As the fuzzer resolves ${NAME}: only SET is set.
    const LoadResult r = parse_config(text, "/base", env_with({{"SET", "value"}}));
    if (name.rfind("bad-", 0) == 0) {
      EXPECT_FALSE(r.ok()) << name;
      continue;
    }
    ASSERT_TRUE(r.ok()) << name << ": " << r.error_text(name);
    for (const auto& c : r.config->cameras) accels.insert(c.input.hwaccel);
  }
  EXPECT_GE(seeds, 3);
  // Every hardware decoder choice is in some seed.
  EXPECT_EQ(accels, (std::set<HwAccel>{HwAccel::kNone, HwAccel::kAuto, HwAccel::kVaapi,
                                       HwAccel::kQsv, HwAccel::kCuda}));
  // Each of the refused values is named with its camera and key; the empty one is the default.
  std::ifstream in(dir / "bad-hwaccel.yaml");
  const std::string bad((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::string e =
      parse_config(bad, "/base", env_with({{"SET", "value"}})).error_text("bad-hwaccel.yaml");
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(e, HasSubstr("cameras[" + std::to_string(i) + "].input.hwaccel")) << e;
  }
  EXPECT_THAT(e, Not(HasSubstr("cameras[3]"))) << e;
}

TEST(ConfigTest, EmptyDocumentIsAValidNodeWithNoCamera) {
  const LoadResult r = parse("");
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.config->cameras.empty());
}

TEST(ConfigTest, ExampleParsesAndSetsEveryKeyOfTheSchema) {
  const std::filesystem::path example =
      std::filesystem::path(VIGIE_SOURCE_DIR) / "config/example.yaml";
  std::ifstream in(example);
  ASSERT_TRUE(in) << example;
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const LoadResult r =
      parse_config(text, example.parent_path(), env_with({{"CAMERA_PASSWORD", "s3cret-pass"}}));
  ASSERT_TRUE(r.ok()) << r.error_text("example.yaml");
  EXPECT_EQ(r.config->cameras.size(), 1u);

  // Every key of the schema appears in the example, so the example documents all of them.
  std::set<std::string> present;
  std::function<void(const YAML::Node&, const std::string&)> walk = [&](const YAML::Node& n,
                                                                        const std::string& path) {
    if (n.IsMap()) {
      for (const auto& kv : n) {
        const std::string p = path.empty() ? kv.first.Scalar() : path + "." + kv.first.Scalar();
        present.insert(p);
        walk(kv.second, p);
      }
    } else if (n.IsSequence()) {
      for (const auto& item : n) {
        if (item.IsMap()) walk(item, path + "[]");
      }
    }
  };
  walk(YAML::Load(text), "");
  for (const FieldDoc& doc : describe_schema()) {
    EXPECT_TRUE(present.count(doc.path)) << "example.yaml does not show " << doc.path;
  }
}

TEST(ConfigTest, SchemaDescribesEveryFieldWithADescription) {
  const auto docs = describe_schema();
  EXPECT_GT(docs.size(), 50u);
  for (const auto& d : docs) EXPECT_FALSE(d.description.empty()) << d.path;
  auto fps = std::find_if(docs.begin(), docs.end(),
                          [](const FieldDoc& d) { return d.path == "cameras[].analysis.fps"; });
  ASSERT_NE(fps, docs.end());
  EXPECT_EQ(fps->default_value, "5");
  EXPECT_EQ(fps->bounds, "0.2 .. 30");
}

struct BadCase {
  const char* name;
  std::string yaml;
  std::string expected;  // substring of the error text
};

class ConfigErrorTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ConfigErrorTest, NamesKeyPathAndLine) {
  EXPECT_THAT(errors_of(GetParam().yaml), HasSubstr(GetParam().expected));
}

const std::string kHead = "cameras:\n  - id: cam1\n    url: rtsp://h/x\n";

INSTANTIATE_TEST_SUITE_P(
    Validation, ConfigErrorTest,
    ::testing::Values(
        BadCase{"UnknownTopLevelKey", "camras: []\n", "camras: unknown key"},
        BadCase{"ListenWithAPort", kHead + "api: {listen: \"127.0.0.1:8080\"}\n",
                "api.listen: '127.0.0.1:8080' is not an IP address or host name (the port goes "
                "in api.port)"},
        BadCase{"UnknownNestedKey", kHead + "    analysis:\n      fsp: 5\n",
                "cameras[0].analysis.fsp: unknown key (known keys here: fps, width) (line 5)"},
        BadCase{"PolygonTooFewPoints",
                kHead + "    zones:\n      - id: z\n        polygon: [[0, 0], [10, 0]]\n",
                "cameras[0].zones[0].polygon: needs at least 3 points, found 2 (line 6)"},
        BadCase{
            "PolygonSelfIntersecting",
            kHead + "    zones:\n      - id: z\n        polygon: [[0,0],[10,10],[10,0],[0,10]]\n",
            "cameras[0].zones[0].polygon: edges cross each other"},
        BadCase{"PolygonWithoutArea",
                kHead + "    zones:\n      - id: z\n        polygon: [[0,0],[5,0],[10,0]]\n",
                "cameras[0].zones[0].polygon: has no area"},
        BadCase{"AnalysisMaskSelfIntersecting",
                kHead + "    analysis_masks:\n      - polygon: [[0,0],[5,5],[5,0],[0,5]]\n"
                        "      - polygon: [[0,0],[10,10],[10,0],[0,10]]\n",
                "cameras[0].analysis_masks[1].polygon: camera 'cam1', analysis mask 1: edges "
                "cross each other"},
        BadCase{"AnalysisMaskWithoutArea",
                kHead + "    analysis_masks:\n      - polygon: [[0,0],[5,0],[10,0]]\n",
                "cameras[0].analysis_masks[0].polygon: camera 'cam1', analysis mask 0: has no "
                "area"},
        BadCase{"PointNotAPair",
                kHead + "    zones:\n      - id: z\n        polygon: [[0,0],[5],[10,0]]\n",
                "cameras[0].zones[0].polygon[1]: a point is written [x, y] (line 6)"},
        BadCase{"NumberOutOfBounds", kHead + "    analysis:\n      fps: 100\n",
                "cameras[0].analysis.fps: 100 is out of bounds (0.2 .. 30) (line 5)"},
        BadCase{"NotANumber", kHead + "    analysis:\n      width: wide\n",
                "cameras[0].analysis.width: 'wide' is not a whole number"},
        BadCase{"NotAFlag", kHead + "    enabled: maybe\n",
                "cameras[0].enabled: 'maybe' is not true or false"},
        BadCase{"BadChoice", kHead + "    input:\n      rtsp_transport: sctp\n",
                "cameras[0].input.rtsp_transport: 'sctp' is not one of tcp | udp"},
        BadCase{"UnknownHwAccel", kHead + "    input:\n      hwaccel: nvenc\n",
                "cameras[0].input.hwaccel: 'nvenc' is not one of none | auto | vaapi | qsv | cuda "
                "(line 5)"},
        BadCase{"MissingRequired", "cameras:\n  - id: cam1\n",
                "cameras[0].url: is required (line 2)"},
        BadCase{"BadIdentifier", "cameras:\n  - id: cam 1\n    url: x.mp4\n",
                "cameras[0].id: 'cam 1' must be 1 to 64 letters"},
        BadCase{"DuplicateCameraId", kHead + "  - id: cam1\n    url: y.mp4\n",
                "cameras[1].id: 'cam1' is already used by another camera (line 4)"},
        BadCase{"DuplicateZoneId",
                kHead + "    zones:\n      - id: z\n        polygon: [[0,0],[9,0],[9,9]]\n"
                        "      - id: z\n        polygon: [[0,0],[9,0],[9,9]]\n",
                "cameras[0].zones[1].id: 'z' is already used"},
        BadCase{"RuleNamesUnknownZone",
                kHead + "    rules:\n      - type: intrusion\n        zones: [nowhere]\n",
                "cameras[0].rules[0].zones[0]: no zone or line has the id 'nowhere'"},
        BadCase{"UnknownEventType", kHead + "    rules:\n      - type: loitering\n",
                "cameras[0].rules[0].type: 'loitering' is not one of the eight event types"},
        BadCase{"CalibrationWrongCount",
                kHead + "    calibration:\n      image: [[0,0],[1,0],[1,1]]\n      ground: "
                        "[[0,0],[1,0],[1,1],[0,1]]\n",
                "cameras[0].calibration.image: needs exactly 4 points, found 3"},
        BadCase{"CalibrationDegenerate",
                kHead + "    calibration:\n      image: [[0,0],[10,0],[20,0],[5,9]]\n      ground: "
                        "[[0,0],[1,0],[1,1],[0,1]]\n",
                "cameras[0].calibration: the four points do not define a ground plane"},
        BadCase{"LineSameEnds",
                kHead + "    lines:\n      - id: l\n        points: [[5,5],[5,5]]\n",
                "cameras[0].lines[0].points: the two ends are the same point"},
        BadCase{"LineDirectionParallel",
                kHead + "    lines:\n      - id: l\n        points: [[0,5],[10,5]]\n        "
                        "direction: [1, 0]\n",
                "cameras[0].lines[0].direction: is parallel to the line"},
        BadCase{"ZeroAllowedDirection",
                kHead + "    zones:\n      - id: z\n        polygon: [[0,0],[9,0],[9,9]]\n        "
                        "allowed_direction: [0, 0]\n",
                "cameras[0].zones[0].allowed_direction: must not be [0, 0]"},
        BadCase{"MissingEnvironmentVariable",
                "cameras:\n  - id: c\n    url: rtsp://u:${VIGIE_TEST_UNSET_VAR}@h/x\n",
                "cameras[0].url: environment variable VIGIE_TEST_UNSET_VAR is not set (line 3)"},
        BadCase{"ReadTimeoutShorterThanStall",
                kHead + "    input:\n      read_timeout_s: 2\n      stall_after_s: 5\n",
                "cameras[0].input.read_timeout_s: must not be shorter than stall_after_s"},
        BadCase{"EvidenceBeyondLegalMaximum", "storage:\n  evidence_days: 90\n",
                "storage.evidence_days: 90 is out of bounds (1 .. 30) (line 2)"},
        BadCase{"PostgresWithoutUrl", "storage:\n  backend: postgres\n",
                "storage.postgres_url: is required when backend is postgres"},
        BadCase{"TlsCertWithoutKey", "api:\n  tls_cert: /etc/c.pem\n",
                "api.tls_key: tls_cert and tls_key go together"},
        BadCase{"AuthorizationEndBeforeStart",
                kHead + "authorizations:\n  - reference: A1\n    cameras: [cam1]\n    start: "
                        "2026-07-02T00:00:00Z\n    end: 2026-07-01T00:00:00Z\n",
                "authorizations[0].end: must be after start (line 8)"},
        BadCase{
            "AuthorizationTimeWithoutZone",
            kHead + "authorizations:\n  - reference: A1\n    start: 2026-07-02T00:00:00\n    end: "
                    "2026-07-03T00:00:00Z\n",
            "authorizations[0].start: '2026-07-02T00:00:00' is not an ISO 8601 time with a zone"},
        BadCase{"AuthorizationUnknownCamera",
                kHead + "authorizations:\n  - reference: A1\n    cameras: [cam9]\n    start: "
                        "2026-07-01\n    end: 2026-07-02\n",
                "authorizations[0].cameras: no camera has the id 'cam9'"},
        BadCase{"MqttCertWithoutKey", "mqtt:\n  tls: true\n  cert_file: /etc/c.pem\n",
                "mqtt.key_file: cert_file and key_file go together"},
        BadCase{"MqttCaFileWithoutTls", "mqtt:\n  ca_file: /etc/ca.pem\n",
                "mqtt.ca_file: is only used with tls: true"},
        BadCase{"MqttKeepaliveOutOfBounds", "mqtt:\n  keepalive_s: 1\n",
                "mqtt.keepalive_s: 1 is out of bounds (5 .. 600) (line 2)"},
        BadCase{"WebhookWithoutSecret", "webhooks:\n  - url: https://h/x\n",
                "webhooks[0].secret: is required (line 2)"},
        BadCase{"WebhookShortSecret", "webhooks:\n  - url: https://h/x\n    secret: short-key\n",
                "webhooks[0].secret: must be at least 16 characters"},
        BadCase{"WebhookNotHttp", "webhooks:\n  - url: ftp://h/x\n    secret: 0123456789abcdef\n",
                "webhooks[0].url: must start with http:// or https://"},
        BadCase{"WebhookUnknownEventType",
                "webhooks:\n  - url: https://h/x\n    secret: 0123456789abcdef\n"
                "    event_types: [loitering]\n",
                "webhooks[0].event_types: 'loitering' is not one of the eight event types"},
        BadCase{"DuplicateKey", "log_level: info\nlog_level: debug\n",
                "log_level: duplicate key (line 2)"},
        BadCase{"ListExpected", "cameras: cam1\n",
                "cameras: expected a list (- item), found a single value (line 1)"},
        BadCase{"MappingExpected", "cameras:\n  - just-a-string\n",
                "cameras[0]: expected a mapping of keys, found a single value (line 2)"},
        BadCase{"YamlSyntax", "cameras:\n  - id: [unclosed\n", "(document): YAML syntax"}),
    [](const ::testing::TestParamInfo<BadCase>& p) { return std::string(p.param.name); });

TEST(ConfigTest, ReportsEveryErrorAndAppliesNothing) {
  const LoadResult r = parse(kHead + "    analysis:\n      fps: 0\n      width: 5\n    bogus: 1\n");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.errors.size(), 3u) << r.error_text("t");
}

TEST(ConfigTest, SecretsNeverAppearInOutput) {
  const LoadResult r = parse_config(
      "cameras:\n  - id: c\n    url: rtsp://admin:${PW}@10.0.0.1/s\n"
      "mqtt:\n  password: ${MQ}\n",
      "/", env_with({{"PW", "hunter2-camera"}, {"MQ", "broker-secret"}}));
  ASSERT_TRUE(r.ok()) << r.error_text("t");
  EXPECT_EQ(r.config->cameras[0].url, "rtsp://admin:hunter2-camera@10.0.0.1/s");
  const std::string shown = to_json(*r.config).dump();
  EXPECT_THAT(shown, Not(HasSubstr("hunter2-camera")));
  EXPECT_THAT(shown, Not(HasSubstr("broker-secret")));
  EXPECT_THAT(shown, HasSubstr("rtsp://***@10.0.0.1/s"));
  // Substituted values are registered, so free text that echoes them is scrubbed too.
  EXPECT_EQ(redact("connect failed: hunter2-camera rejected"), "connect failed: *** rejected");
  EXPECT_EQ(redact("open rtsp://a:b@h/x failed"), "open rtsp://***@h/x failed");
}

TEST(ConfigTest, WebhooksParseAndHideTheirSecretAndToken) {
  const LoadResult r = parse_config(
      "webhooks:\n  - url: https://hooks.example/T0/B0/url-token-xyz\n"
      "    secret: ${HOOK}\n    event_types: [fire]\n",
      "/", env_with({{"HOOK", "hook-secret-0123456789"}}));
  ASSERT_TRUE(r.ok()) << r.error_text("t");
  ASSERT_EQ(r.config->webhooks.size(), 1u);
  EXPECT_EQ(r.config->webhooks[0].secret, "hook-secret-0123456789");
  EXPECT_EQ(r.config->webhooks[0].event_types, std::vector<EventType>{EventType::kFire});
  const std::string shown = to_json(*r.config).dump();
  EXPECT_THAT(shown, Not(HasSubstr("hook-secret-0123456789")));
  EXPECT_THAT(shown, Not(HasSubstr("url-token-xyz")));
  EXPECT_THAT(shown, HasSubstr("https://hooks.example/***"));
  EXPECT_EQ(redact("signing with hook-secret-0123456789"), "signing with ***");
}

TEST(ConfigTest, HugeValuesAndDocumentsAreRefusedWithoutHarm) {
  // A 100 000-character id or ${...} name: a clear error, no crash.
  const std::string id(100'000, 'x');
  std::string doc = "cameras:\n  - id: ";
  doc.append(id).append("\n    url: x\n");
  LoadResult r = parse_config(doc, "/", {});
  EXPECT_FALSE(r.ok());
  doc = "cameras:\n  - id: c\n    url: ${";
  doc.append(id).append("}\n");
  r = parse_config(doc, "/", {});
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(r.error_text("t"), HasSubstr("is not set"));
  // 200 000 unknown top-level keys: checked in linear time, reported up to a limit, counted.
  std::string many;
  for (int i = 0; i < 200'000; ++i) {
    many += 'k';
    many += std::to_string(i);
    many += ": 1\n";
  }
  r = parse_config(many, "/", {});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.errors.size(), 101u);
  EXPECT_THAT(r.error_text("t"), HasSubstr("199900 more unknown or duplicate keys"));
}

TEST(ConfigTest, ErrorsDoNotEchoSecrets) {
  const LoadResult r = parse_config("cameras:\n  - id: \"${ID}\"\n    url: x\n", "/",
                                    env_with({{"ID", "bad id secret"}}));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error_text("t"), Not(HasSubstr("bad id secret")));
}

TEST(ConfigTest, RelativeFileUrlsResolveAgainstTheConfigFolder) {
  const LoadResult r =
      parse_config("cameras:\n  - id: c\n    url: clips/a.mp4\n", "/etc/vigie", {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.config->cameras[0].url, "/etc/vigie/clips/a.mp4");
}

TEST(ConfigTest, VersionChangesWithMeaningNotWithComments) {
  const auto a = parse("# one\n" + std::string(kCamera));
  const auto b = parse("# two\n" + std::string(kCamera));
  const auto c = parse(kHead + "    analysis:\n      fps: 6\n");
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_EQ(config_version(*a.config), config_version(*b.config));
  EXPECT_NE(config_version(*a.config), config_version(*c.config));
}

TEST(ConfigTest, CameraFileResolvesVideoBesideIt) {
  const auto dir = std::filesystem::temp_directory_path() / "vigie_camera_file_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "camera.yaml")
      << "id: synth-x\nurl: video.mp4\nzones:\n  - id: z\n"
         "    polygon: [[0,0],[9,0],[9,9]]\nrules:\n  - type: fire\n";
  const CameraLoadResult r = load_camera_file(dir / "camera.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text("camera.yaml");
  EXPECT_EQ(r.camera->url, (dir / "video.mp4").string());
  EXPECT_EQ(r.camera->rules.at(0).type(), EventType::kFire);

  std::ofstream(dir / "bad.yaml")
      << "id: synth-x\nurl: video.mp4\nrules:\n  - type: fire\n    zones: [q]\n";
  const CameraLoadResult bad = load_camera_file(dir / "bad.yaml");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(bad.error_text("bad.yaml"),
              HasSubstr("bad.yaml: rules[0].zones[0]: no zone or line"));
  std::filesystem::remove_all(dir);
}

TEST(ConfigTest, MissingFileIsOneClearError) {
  const LoadResult r = load_config_file("/nonexistent/vigie.yaml");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.error_text("x"), HasSubstr("/nonexistent/vigie.yaml: cannot be read"));
}

}  // namespace
}  // namespace vigie::config

namespace vigie::config {
namespace {

TEST(RuleConfigTest, TypeSetsDefaultsAndOnlyItsOwnKeys) {
  const LoadResult r = parse(
      kHead + "    rules:\n      - type: fire\n      - type: density\n        alert_per_m2: 5\n");
  ASSERT_TRUE(r.ok()) << r.error_text("t");
  const auto& rules = r.config->cameras[0].rules;
  EXPECT_DOUBLE_EQ(std::get<FireParams>(rules[0].params).dwell_s, 3.0);  // fire's own default
  EXPECT_DOUBLE_EQ(std::get<DensityParams>(rules[1].params).alert_per_m2, 5.0);
  EXPECT_THAT(errors_of(kHead + "    rules:\n      - type: fire\n        owner_distance_m: 2\n"),
              HasSubstr("cameras[0].rules[0].owner_distance_m: unknown key"));
  EXPECT_THAT(
      errors_of(
          kHead +
          "    rules:\n      - type: density\n        warn_per_m2: 5\n        alert_per_m2: 3\n"),
      HasSubstr("cameras[0].rules[0].alert_per_m2: must not be below warn_per_m2"));
  const auto params = rule_parameters(rules[1]);
  EXPECT_NE(
      std::find(params.begin(), params.end(), std::pair<std::string, double>{"alert_per_m2", 5.0}),
      params.end());
}

TEST(RuleConfigTest, KeyOfAnotherTypeSaysWhoseItIs) {
  const std::string e =
      errors_of(kHead + "    rules:\n      - type: wrong_way\n        dwell_s: 2\n");
  EXPECT_THAT(e, HasSubstr("cameras[0].rules[0].dwell_s: unknown key for a wrong_way rule: it is "
                           "a parameter of intrusion, person_on_ground, fire rules"));
  EXPECT_THAT(e, HasSubstr("(line 6)"));
  // A key of no type is unknown, and the message lists what this rule takes.
  EXPECT_THAT(errors_of(kHead + "    rules:\n      - type: fire\n        dwel_s: 2\n"),
              HasSubstr("cameras[0].rules[0].dwel_s: unknown key (known keys here: type, "
                        "enabled, zones, inertia_s, clear_s, cooldown_s, dwell_s) (line 6)"));
  // With no valid type, only the type is at fault.
  const std::string bad_type =
      errors_of(kHead + "    rules:\n      - type: smoke\n        dwell_s: 2\n");
  EXPECT_THAT(bad_type, HasSubstr("'smoke' is not one of the eight event types"));
  EXPECT_THAT(bad_type, Not(HasSubstr("dwell_s")));
}

TEST(RuleConfigTest, DumpShowsEachRuleWithItsOwnParametersOnly) {
  std::string yaml = kHead +
                     "    zones:\n      - {id: z, polygon: [[0, 0], [10, 0], [10, 10]]}\n"
                     "    rules:\n";
  for (EventType t : kAllEventTypes) {
    yaml += "      - type: " + std::string(to_string(t)) + "\n        cooldown_s: 7\n";
  }
  yaml += "      - type: person_on_ground\n        exclude_zones: [z]\n        dwell_s: 9\n";
  const LoadResult r = parse(yaml);
  ASSERT_TRUE(r.ok()) << r.error_text("t");
  const nlohmann::json dumped = to_json(r.config->cameras[0], /*redacted=*/false)["rules"];
  ASSERT_EQ(dumped.size(), kAllEventTypes.size() + 1);
  for (std::size_t i = 0; i < dumped.size(); ++i) {
    const nlohmann::json& rule = dumped[i];
    const EventType type =
        i < kAllEventTypes.size() ? kAllEventTypes[i] : EventType::kPersonOnGround;
    EXPECT_EQ(rule.at("type"), to_string(type));
    std::set<std::string> expected = {"type", "enabled", "zones", "inertia_s", "clear_s",
                                      "cooldown_s"};
    for (const std::string& key : parameter_keys(type)) expected.insert(key);
    if (i < kAllEventTypes.size()) expected.erase("exclude_zones");  // empty lists are left out
    std::set<std::string> shown;
    for (const auto& [key, value] : rule.items()) shown.insert(key);
    EXPECT_EQ(shown, expected) << to_string(type);
    EXPECT_EQ(rule.at("cooldown_s"), i < kAllEventTypes.size() ? 7.0 : 120.0);
  }
  EXPECT_EQ(dumped.back().at("dwell_s"), 9.0);
  EXPECT_EQ(dumped.back().at("exclude_zones"), nlohmann::json::array({"z"}));
}

TEST(RuleConfigTest, ADumpedRuleLoadsAgainAsTheSameRule) {
  std::string yaml = kHead + "    rules:\n";
  for (EventType t : kAllEventTypes) yaml += "      - type: " + std::string(to_string(t)) + "\n";
  const LoadResult first = parse(yaml);
  ASSERT_TRUE(first.ok()) << first.error_text("t");
  const nlohmann::json dumped = to_json(first.config->cameras[0], /*redacted=*/false)["rules"];
  // Each dumped rule written back as YAML (JSON is YAML), every key with its dumped value.
  std::string again = kHead + "    rules:\n";
  for (const nlohmann::json& rule : dumped) again += "      - " + rule.dump() + "\n";
  const LoadResult second = parse(again);
  ASSERT_TRUE(second.ok()) << second.error_text("t");
  EXPECT_EQ(to_json(second.config->cameras[0], /*redacted=*/false)["rules"], dumped);
  // Counts of frames are written as whole numbers.
  const nlohmann::json& weapon = dumped[static_cast<std::size_t>(EventType::kWeapon)];
  EXPECT_TRUE(weapon.at("confirm_frames").is_number_integer()) << weapon.dump();
}

TEST(RuleConfigTest, SchemaDocumentsEachTypesOwnMeaningAndDefault) {
  std::vector<std::string> dwell;
  for (const FieldDoc& d : describe_schema()) {
    if (d.path != "cameras[].rules[].dwell_s") continue;
    dwell.push_back(d.description.substr(0, d.description.find(':')) + "=" + d.default_value);
  }
  EXPECT_THAT(dwell, ::testing::ElementsAre("intrusion=1", "person_on_ground=5", "fire=3"));
}

// What the schema prints as a rule key's default is what a rule of that type gets without
// the key: the hygiene keys (inertia_s, clear_s, cooldown_s) included, whose defaults differ
// between types.
TEST(RuleConfigTest, SchemaDefaultsAreWhatARuleOfThatTypeGetsWithoutTheKey) {
  const std::string prefix = "cameras[].rules[].";
  std::map<std::string, std::set<std::string>> documented;  // type -> its number keys
  for (const FieldDoc& d : describe_schema()) {
    if (d.path.rfind(prefix, 0) != 0 || (d.kind != "number" && d.kind != "integer")) continue;
    const std::string key = d.path.substr(prefix.size());
    const auto colon = d.description.find(':');
    ASSERT_NE(colon, std::string::npos) << key << " is not documented per type: " << d.description;
    const std::string type = d.description.substr(0, colon);
    ASSERT_TRUE(parse_event_type(type).has_value()) << key << ": " << d.description;
    EXPECT_TRUE(documented[type].insert(key).second) << type << "." << key << " twice";

    const LoadResult r = parse(kHead + "    rules:\n      - type: " + type + "\n");
    ASSERT_TRUE(r.ok()) << r.error_text("t");
    const auto params = rule_parameters(r.config->cameras[0].rules.at(0));
    auto got = std::find_if(params.begin(), params.end(),
                            [&](const auto& p) { return p.first == key; });
    ASSERT_NE(got, params.end()) << type << " has no " << key;
    EXPECT_DOUBLE_EQ(std::stod(d.default_value), got->second)
        << type << "." << key << ": the schema prints " << d.default_value;
  }
  // Every type's hygiene is documented with its own defaults.
  ASSERT_EQ(documented.size(), kAllEventTypes.size());
  for (const auto& [type, keys] : documented) {
    for (const char* key : {"inertia_s", "clear_s", "cooldown_s"}) {
      EXPECT_EQ(keys.count(key), 1U) << type << " lacks " << key;
    }
  }
}

}  // namespace
}  // namespace vigie::config

namespace vigie::config {
namespace {

TEST(DetectorConfigTest, AbsentOrDisabledMeansNoDetector) {
  EXPECT_FALSE(parse("log_level: info\n").config->detector.has_value());
  const LoadResult r = parse("detector:\n  enabled: false\n  model: missing.onnx\n");
  ASSERT_TRUE(r.ok()) << r.error_text("test.yaml");
  EXPECT_FALSE(r.config->detector.has_value());
}

TEST(DetectorConfigTest, MissingModelFileIsNamedWithItsLine) {
  const std::string e = errors_of("log_level: info\ndetector:\n  model: models/none.onnx\n");
  EXPECT_THAT(e, HasSubstr("detector.model: '/base/models/none.onnx' is not a readable file"));
  EXPECT_THAT(e, HasSubstr("(line 3)"));
}

TEST(DetectorConfigTest, DarknetNeedsItsCfgBesideTheWeights) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "vigie-det-config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "m.weights") << "w";
  const LoadResult no_cfg = parse_config("detector:\n  model: m.weights\n", dir, env_with({}));
  ASSERT_FALSE(no_cfg.ok());
  EXPECT_THAT(no_cfg.error_text("t"), HasSubstr("m.cfg' (the Darknet .cfg) is not a readable file"));
  std::ofstream(dir / "m.cfg") << "[net]\nwidth=320\n";
  const LoadResult ok = parse_config(
      "detector:\n  model: m.weights\n  classes: {person: [0], weapon: []}\n", dir, env_with({}));
  ASSERT_TRUE(ok.ok()) << ok.error_text("t");
  EXPECT_EQ(ok.config->detector->model, (dir / "m.weights").string());
  EXPECT_EQ(ok.config->detector->config_file, (dir / "m.cfg").string());
  EXPECT_TRUE(ok.config->detector->classes.weapon.empty());
  EXPECT_EQ(ok.config->detector->classes.bag, (std::vector<int>{24, 26, 28}));
  std::filesystem::remove_all(dir);
}

TEST(DetectorConfigTest, APoseModelNeedsItsTextGraph) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "vigie-pose-config";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "graph.pb") << "g";
  const LoadResult none = parse_config("detector:\n  model: graph.pb\n", dir, env_with({}));
  ASSERT_FALSE(none.ok());
  EXPECT_THAT(none.error_text("t"), HasSubstr("a pose model needs its text graph"));
  const LoadResult missing =
      parse_config("detector:\n  model: graph.pb\n  config: g224.pbtxt\n", dir, env_with({}));
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(missing.error_text("t"), HasSubstr("g224.pbtxt' (the pose model's text graph)"));
  std::ofstream(dir / "g224.pbtxt") << "node {}";
  const LoadResult ok =
      parse_config("detector:\n  model: graph.pb\n  config: g224.pbtxt\n", dir, env_with({}));
  ASSERT_TRUE(ok.ok()) << ok.error_text("t");
  EXPECT_EQ(ok.config->detector->config_file, (dir / "g224.pbtxt").string());
  std::filesystem::remove_all(dir);
}

TEST(DetectorConfigTest, BoundsAndKinds) {
  EXPECT_THAT(errors_of("detector:\n  model: /dev/null\n  input_size: 300\n"),
              HasSubstr("multiple of 32"));
  EXPECT_THAT(errors_of("detector:\n  model: /dev/null\n  kind: yolov8\n"),
              HasSubstr("'yolov8' is not one of auto | yolox | fastestdet | darknet | pose"));
  EXPECT_THAT(errors_of("detector:\n  model: /dev/null\n  classes: {person: [x]}\n"),
              HasSubstr("detector.classes.person[0]"));
}

}  // namespace
}  // namespace vigie::config
