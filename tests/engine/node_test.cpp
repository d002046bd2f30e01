// The node around the engine, with its real parts: an SQLite store, the evidence writer and
// a real mosquitto broker. A rendered intrusion scene raises one alert; the alert is stored
// and journaled, its evidence is written and hashed, and integrators receive it.

#include "engine/node.hpp"

#include <fstream>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <opencv2/imgcodecs.hpp>

#include "config/loader.hpp"
#include "core/digest.hpp"
#include "core/iso_time.hpp"
#include "publish/mqtt_test_support.hpp"
#include "storage/journal_chain.hpp"
#include "storage/store.hpp"
#include "support/process.hpp"
#include "support/prometheus_check.hpp"
#include "synth/scenario.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::engine {
namespace {

namespace fs = std::filesystem;

class NodeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synth::ensure_scenes({{"intrusion", 1, dir_ / "scene"}}).is_ok());
    auto camera = config::load_camera_file(dir_ / "scene" / "camera.yaml");
    ASSERT_TRUE(camera.ok());
    camera.camera->id = "gate";
    camera.camera->input.realtime = false;
    config_.cameras.push_back(*camera.camera);
    config_.storage.data_dir = (dir_ / "data").string();
    config_.api.port = 0;
    config_.alerts.evidence_before_s = 2;
    config_.alerts.evidence_after_s = 2;
    config::Authorization order;
    order.reference = "TEST-1";
    order.cameras = {"gate"};
    order.event_types = {EventType::kIntrusion};
    const auto now = std::chrono::system_clock::now();
    order.start = format_iso8601(now - std::chrono::hours(1));
    order.end = format_iso8601(now + std::chrono::hours(1));
    order.controller = "test";
    config_.authorizations = {order};
  }

  test::TempDir dir_{"vigie-node"};
  config::Config config_;
};

/// Every family docs/api.md must list: the `metric` column's names.
std::set<std::string> documented_metrics() {
  std::ifstream in(std::string(VIGIE_SOURCE_DIR) + "/docs/api.md");
  std::set<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("| `", 0) != 0) continue;
    const auto end = line.find_first_of("`{", 3);
    names.insert(line.substr(3, end - 3));
  }
  return names;
}

/// /metrics of a node that raised an alert, wrote its evidence and published it over MQTT:
/// strict Prometheus text, every family documented, and the counters of what happened.
void expect_metrics_of_a_working_node(int port) {
  httplib::Client client("127.0.0.1", port);
  const auto r = client.Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const test::PromExposition e = test::parse_prometheus(r->body);
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors) << "\n" << r->body;
  const std::set<std::string> documented = documented_metrics();
  for (const auto& f : e.families) {
    EXPECT_TRUE(documented.count(f.name)) << f.name << " is not listed in docs/api.md";
  }
  EXPECT_GT(e.value("vigie_camera_frames_total", {{"camera", "gate"}, {"stage", "analysed"}}), 50);
  EXPECT_GT(e.value("vigie_camera_analysis_seconds_count", {{"camera", "gate"}}), 50);
  EXPECT_GE(e.value("vigie_alert_latency_seconds_count", {{"stage", "stored"}}), 1);
  EXPECT_GE(e.value("vigie_evidence_requests_total", {{"result", "written"}}), 1);
  EXPECT_GT(e.value("vigie_evidence_cpu_seconds_total"), 0);
  EXPECT_GE(e.value("vigie_mqtt_acknowledged_total"), 1);
  EXPECT_EQ(e.value("vigie_mqtt_connected"), 1);
  EXPECT_GE(e.value("vigie_webhook_attempts_total"), 1);
  EXPECT_GT(e.value("process_cpu_seconds_total"), 0);
  EXPECT_GT(e.value("process_resident_memory_bytes"), 1e6);
  EXPECT_EQ(e.value("vigie_build_info"), 1);
}

TEST_F(NodeTest, AnAlertIsStoredWithEvidenceAndReachesMqtt) {
  const int port = test::free_port();
  test::Broker broker(dir_ / "broker", port);
  std::string why;
  ASSERT_TRUE(broker.start(&why)) << why;
  test::Subscriber subscriber(port, "node-test");
  ASSERT_TRUE(test::eventually([&] { return subscriber.subscribed(); }));
  config_.mqtt.enabled = true;
  config_.mqtt.port = port;
  // Nobody listens there: the attempts are counted.
  config_.webhooks.push_back({"http://127.0.0.1:1/hook", "a-webhook-secret-of-some-length", {}});

  config_.node.id = "node-under-test";

  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto node = Node::open(config_, options);
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  ASSERT_TRUE((*node)->start().is_ok());
  EXPECT_GT((*node)->api_port(), 0);

  storage::Store& store = (*node)->store();
  std::vector<storage::EvidenceRecord> files;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto alerts = store.alerts({});
        if (!alerts.is_ok() || alerts->empty()) return false;
        auto e = store.evidence(alerts->front().id);
        if (!e.is_ok() || e->size() < 3) return false;
        files = *e;
        return true;
      },
      60))
      << "no alert with its three evidence files";
  auto alerts = store.alerts({});
  const storage::AlertRecord& alert = alerts->front();
  EXPECT_EQ(alert.type, EventType::kIntrusion);
  EXPECT_EQ(alert.camera, "gate");
  EXPECT_FALSE(alert.config_version.empty());
  EXPECT_NEAR(alert.start_s, 13.4, 3.0);

  const fs::path evidence_root = dir_ / "data" / "evidence";
  for (const auto& f : files) {
    const fs::path path = evidence_root / f.path;
    ASSERT_TRUE(fs::exists(path)) << path;
    EXPECT_EQ(f.sha256, *sha256_file(path)) << f.kind;
    EXPECT_EQ(f.masked, f.kind != "raw");
    EXPECT_EQ(f.node, "node-under-test") << "the node that keeps the file";
    // Images of people, the unmasked copy among them, are for the node's account alone.
    const fs::perms others = fs::perms::group_all | fs::perms::others_all;
    EXPECT_EQ(fs::status(path).permissions() & others, fs::perms::none) << f.path;
    EXPECT_EQ(fs::status(evidence_root).permissions() & others, fs::perms::none);
  }

  ASSERT_TRUE(test::eventually(
      [&] { return !subscriber.payloads("vigie/gate/alerts").empty(); }, 10));
  const auto mqtt = nlohmann::json::parse(subscriber.payloads("vigie/alerts").front());
  EXPECT_EQ(mqtt["id"], alert.id);
  EXPECT_EQ(mqtt["type"], "intrusion");
  ASSERT_TRUE(test::eventually([&] { return !subscriber.payloads("vigie/gate/status").empty(); }));
  EXPECT_EQ(nlohmann::json::parse(subscriber.payloads("vigie/gate/status").back())["camera"],
            "gate");
  // The journal's head leaves the node, so that a later cut of its end can be seen.
  ASSERT_TRUE(test::eventually([&] { return !subscriber.payloads("vigie/journal/head").empty(); }));
  const auto head = nlohmann::json::parse(subscriber.payloads("vigie/journal/head").back());
  storage::JournalQuery at_head;
  at_head.after_seq = head["seq"].get<std::int64_t>() - 1;
  at_head.limit = 1;
  auto record = store.journal(at_head);
  ASSERT_TRUE(record.is_ok() && record->size() == 1u);
  EXPECT_EQ(record->front().hash, head["hash"]);

  expect_metrics_of_a_working_node((*node)->api_port());

  (*node)->stop();
  auto journal = store.journal({});
  ASSERT_TRUE(journal.is_ok());
  EXPECT_FALSE(storage::verify_chain(*journal).has_value());
  std::vector<std::string> actions;
  for (const auto& r : *journal) actions.push_back(r.action);
  for (const char* expected : {"authorization.set", "node.started", "alert.raised",
                               "evidence.stored", "node.stopped"}) {
    EXPECT_NE(std::find(actions.begin(), actions.end(), expected), actions.end()) << expected;
  }
}

TEST_F(NodeTest, CalibrationModeRecordsWithoutPublishing) {
  const int port = test::free_port();
  test::Broker broker(dir_ / "broker", port);
  ASSERT_TRUE(broker.start());
  test::Subscriber subscriber(port, "node-test-calibration");
  ASSERT_TRUE(test::eventually([&] { return subscriber.subscribed(); }));
  config_.mqtt.enabled = true;
  config_.mqtt.port = port;
  config_.cameras[0].calibration_mode = true;

  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto node = Node::open(config_, options);
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  ASSERT_TRUE((*node)->start().is_ok());
  storage::AlertQuery calibration;
  calibration.only_calibration = true;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto a = (*node)->store().alerts(calibration);
        return a.is_ok() && !a->empty();
      },
      60));
  // Status messages flow; alerts of a calibrating camera never leave the node.
  ASSERT_TRUE(test::eventually([&] { return !subscriber.payloads("vigie/gate/status").empty(); }));
  (*node)->stop();
  EXPECT_TRUE(subscriber.payloads("vigie/alerts").empty());
  EXPECT_TRUE((*node)->store().alerts({})->empty()) << "operators' list stays empty";
}

// An alert of an earlier run, as its store kept it. GCC 12 reports a false -Wrestrict on
// the short string assignments, depending on what else the file inlines.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wrestrict"
[[gnu::noinline]] storage::AlertRecord previous_alert(storage::TimeMs raised_ms) {
  storage::AlertRecord a;
  a.source_id = "gate-intrusion-1";
  a.camera = "gate";
  a.config_version = "v";
  a.raised_ms = raised_ms;
  return a;
}
#pragma GCC diagnostic pop

// A crash mid-write leaves files no record lists, unmasked video among them: the next start
// removes them and journals it, keeps what records list, and makes the folder private.
TEST_F(NodeTest, StartRemovesEvidenceNoRecordListsAndKeepsTheRest) {
  const fs::path root = dir_ / "data" / "evidence";
  {
    auto store = storage::make_store(config_.storage);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    ASSERT_TRUE((*store)
                    ->write([](storage::Tx& tx) -> Status {
                      auto id = tx.put_alert(previous_alert(0));
                      if (!id.is_ok()) return id.status();
                      storage::EvidenceRecord e;
                      e.alert_id = *id;
                      e.kind = "clip";
                      e.path = "gate/1/clip.mp4";
                      e.sha256 = "00";
                      auto added = tx.add_evidence(e);
                      return added.is_ok() ? Status::ok() : added.status();
                    })
                    .is_ok());
  }
  for (const char* f : {"gate/1/clip.mp4", "gate/1/.raw.mp4.part", "gate/2/raw.mp4",
                        ".unmasked/7-snapshot.jpg"}) {
    fs::create_directories((root / f).parent_path());
    std::ofstream(root / f) << "bytes";
  }
  fs::permissions(root, fs::perms::all);

  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto node = Node::open(config_, options);
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  EXPECT_TRUE(fs::exists(root / "gate/1/clip.mp4"));
  EXPECT_FALSE(fs::exists(root / "gate/1/.raw.mp4.part"));
  EXPECT_FALSE(fs::exists(root / "gate/2")) << "an emptied folder goes too";
  EXPECT_FALSE(fs::exists(root / ".unmasked/7-snapshot.jpg"));
  EXPECT_EQ(fs::status(root).permissions() & fs::perms::all, fs::perms::owner_all);

  storage::JournalQuery q;
  q.action_prefix = "evidence.unlisted_removed";
  auto journal = (*node)->store().journal(q);
  ASSERT_TRUE(journal.is_ok());
  ASSERT_EQ(journal->size(), 1u);
  EXPECT_EQ(journal->front().detail["files"],
            nlohmann::json({".unmasked/7-snapshot.jpg", "gate/1/.raw.mp4.part", "gate/2/raw.mp4"}));
}

// A run killed right after an alert leaves it open and without evidence: the next start
// ends it and records why its evidence is missing, both journaled.
TEST_F(NodeTest, StartEndsWhatThePreviousRunLeftOpenAndSaysWhyEvidenceIsMissing) {
  std::int64_t id = 0;
  {
    auto store = storage::make_store(config_.storage);
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    const storage::TimeMs now = unix_ms(std::chrono::system_clock::now());
    ASSERT_TRUE((*store)
                    ->write([&](storage::Tx& tx) -> Status {
                      auto started = tx.journal({now - 60'000, "system", "node.started",
                                                 nlohmann::json::object()});
                      if (!started.is_ok()) return started.status();
                      auto put = tx.put_alert(previous_alert(now - 30'000));
                      if (!put.is_ok()) return put.status();
                      id = *put;
                      return Status::ok();
                    })
                    .is_ok());
  }
  config_.cameras.clear();  // only the recovery is looked at
  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto node = Node::open(config_, options);
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  ASSERT_TRUE((*node)->start().is_ok());
  auto alert = (*node)->store().alert(id);
  ASSERT_TRUE(alert.is_ok() && alert->has_value());
  EXPECT_GT((*alert)->ended_ms, 0);
  EXPECT_EQ((*alert)->evidence_note, "evidence missing: the node stopped before it was written");
  std::map<std::string, std::string> reasons;
  auto journal = (*node)->store().journal({});
  for (const auto& r : *journal) {
    if (r.detail.contains("reason")) reasons[r.action] = r.detail["reason"];
  }
  EXPECT_EQ(reasons["alert.ended"], "the node stopped while the situation was followed");
  EXPECT_EQ(reasons["evidence.missing"], "the node stopped before it was written");
  (*node)->stop();
}

// Stopped before an alert's evidence window has passed, the node records why it has none.
TEST_F(NodeTest, AStopBeforeTheEvidenceWindowHasPassedIsRecorded) {
  config_.alerts.evidence_after_s = 60;
  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto node = Node::open(config_, options);
  ASSERT_TRUE(node.is_ok()) << node.status().to_string();
  ASSERT_TRUE((*node)->start().is_ok());
  ASSERT_TRUE(test::eventually(
      [&] {
        auto a = (*node)->store().alerts({});
        return a.is_ok() && !a->empty();
      },
      60));
  (*node)->stop();
  auto alerts = (*node)->store().alerts({});
  ASSERT_TRUE(alerts.is_ok() && !alerts->empty());
  EXPECT_EQ(alerts->front().evidence_note,
            "evidence missing: the node stopped before the evidence window had passed");
  EXPECT_TRUE((*node)->store().evidence(alerts->front().id)->empty());
}

// The console's routes on a real node: the latest frame with privacy masks burned in, the
// geometry validated with key paths, stored, journaled, applied to the running camera and
// still in force after a restart.
TEST_F(NodeTest, CameraFrameAndGeometryRoutes) {
  config_.cameras[0].input.loop = true;  // the camera keeps producing frames
  config_.cameras[0].input.realtime = true;
  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto opened = Node::open(config_, options);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  Node& node = **opened;
  ASSERT_TRUE(node.users().create("test", "sup", govern::Role::kSupervisor, "sup-password-1").is_ok());
  ASSERT_TRUE(node.start().is_ok());
  httplib::Client http("127.0.0.1", node.api_port());
  http.set_read_timeout(10, 0);
  auto login = http.Post("/api/v1/login", R"({"user":"sup","password":"sup-password-1"})",
                         "application/json");
  ASSERT_TRUE(login && login->status == 200);
  const httplib::Headers auth = {
      {"Authorization", "Bearer " + nlohmann::json::parse(login->body)["token"].get<std::string>()}};

  // Invalid: a two-point polygon, and the rule's zone gone. Each error has its key path.
  auto bad = http.Put("/api/v1/cameras/gate/geometry", auth,
                      R"({"zones":[{"id":"other","polygon":[[0,0],[10,0]]}]})", "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400) << bad->body;
  std::set<std::string> paths;
  const nlohmann::json bad_body = nlohmann::json::parse(bad->body);
  for (const auto& e : bad_body["error"]["errors"]) {
    paths.insert(e["path"].get<std::string>());
  }
  EXPECT_TRUE(paths.count("zones[0].polygon")) << bad->body;
  EXPECT_TRUE(paths.count("rules[0].zones[0]")) << bad->body;

  auto before = http.Get("/api/v1/cameras/gate/geometry", auth);
  ASSERT_TRUE(before && before->status == 200);
  nlohmann::json geometry = nlohmann::json::parse(before->body);
  ASSERT_FALSE(geometry["zones"].empty());
  EXPECT_TRUE(geometry["updated_by"].is_null());
  // A privacy mask over the top-left corner, the zone moved a little.
  geometry["privacy_masks"] = {{{"polygon", {{0, 0}, {200, 0}, {200, 120}, {0, 120}}}}};
  for (auto& p : geometry["zones"][0]["polygon"]) p[0] = p[0].get<double>() + 1;
  auto dry = http.Put("/api/v1/cameras/gate/geometry?dry_run=true", auth, geometry.dump(),
                      "application/json");
  ASSERT_TRUE(dry && dry->status == 200) << (dry ? dry->body : "");
  EXPECT_TRUE(node.engine().camera_config("gate")->privacy_masks.empty()) << "a dry run changes nothing";
  auto saved = http.Put("/api/v1/cameras/gate/geometry", auth, geometry.dump(), "application/json");
  ASSERT_TRUE(saved && saved->status == 200) << (saved ? saved->body : "");
  EXPECT_EQ(node.engine().camera_config("gate")->privacy_masks.size(), 1u) << "applied";
  storage::JournalQuery q;
  q.action_prefix = "camera.geometry_changed";
  auto changed = node.store().journal(q);
  ASSERT_TRUE(changed.is_ok());
  ASSERT_EQ(changed->size(), 1u);
  EXPECT_EQ(changed->front().actor, "sup");
  EXPECT_TRUE(changed->front().detail["before"]["privacy_masks"].empty());
  EXPECT_EQ(changed->front().detail["after"]["privacy_masks"].size(), 1u);

  // The frame: a JPEG at the analysis size, the mask burned in as flat grey.
  std::shared_ptr<httplib::Response> frame;
  ASSERT_TRUE(test::eventually(
      [&] {
        auto r = http.Get("/api/v1/cameras/gate/frame.jpg", auth);
        if (!r || r->status != 200) return false;
        frame = std::make_shared<httplib::Response>(*r);
        return true;
      },
      20));
  EXPECT_EQ(frame->get_header_value("Content-Type"), "image/jpeg");
  // Frames analysed before the change carry no mask yet: wait for one after it.
  ASSERT_TRUE(test::eventually(
      [&] {
        auto r = http.Get("/api/v1/cameras/gate/frame.jpg", auth);
        if (!r || r->status != 200) return false;
        const cv::Mat image = cv::imdecode(
            std::vector<unsigned char>(r->body.begin(), r->body.end()), cv::IMREAD_COLOR);
        if (image.empty()) return false;
        const auto px = image.at<cv::Vec3b>(2, 2);
        return std::abs(px[0] - 64) < 12 && std::abs(px[1] - 64) < 12 && std::abs(px[2] - 64) < 12;
      },
      10))
      << "the privacy mask is burned into the served frame";

  // Not analysed (stopped): 409 with the reason.
  ASSERT_TRUE(node.governance().stop("sup", "gate", "test").is_ok());
  auto stopped = http.Get("/api/v1/cameras/gate/frame.jpg", auth);
  ASSERT_TRUE(stopped);
  EXPECT_EQ(stopped->status, 409);
  EXPECT_NE(stopped->body.find("stopped"), std::string::npos) << stopped->body;
  EXPECT_EQ(http.Get("/api/v1/cameras/nope/frame.jpg", auth)->status, 404);
  node.stop();

  // The stored geometry replaces the configuration's at the next start.
  auto again = Node::open(config_, options);
  ASSERT_TRUE(again.is_ok()) << again.status().to_string();
  EXPECT_EQ((*again)->engine().camera_config("gate")->privacy_masks.size(), 1u);
}

}  // namespace
}  // namespace vigie::engine

namespace vigie::engine {
namespace {

// A node configuration file around the rendered intrusion scene: each camera plays it in a
// loop at its own pace. `tweak` edits one camera's lines (a zone, its rules).
struct CameraSpec {
  std::string id;
  std::function<std::string(std::string)> tweak = [](std::string s) { return s; };
};

std::string node_yaml(const fs::path& scene, const std::vector<CameraSpec>& cameras,
                      const std::string& authorization_cameras) {
  std::ifstream in(scene / "camera.yaml");
  std::stringstream camera_yaml;
  camera_yaml << in.rdbuf();
  std::ostringstream node;
  node << "cameras:\n";
  for (const auto& spec : cameras) {
    std::istringstream lines(spec.tweak(camera_yaml.str()));
    std::string line;
    bool first = true;
    while (std::getline(lines, line)) {
      if (line.rfind("url:", 0) == 0) line = "url: " + (scene / "video.mp4").string();
      if (line.rfind("id:", 0) == 0) line = "id: " + spec.id;
      node << (first ? "  - " : "    ") << line << "\n";
      first = false;
    }
    node << "    input: {realtime: true, loop: true}\n";
  }
  const auto now = std::chrono::system_clock::now();
  node << "storage: {data_dir: " << (scene.parent_path() / "data").string() << "}\n"
       << "api: {port: 0}\n"
       << "alerts: {evidence_before_s: 2, evidence_after_s: 2}\n"
       << "authorizations:\n"
       << "  - reference: TEST-1\n    cameras: " << authorization_cameras << "\n"
       << "    event_types: [intrusion]\n"
       << "    start: " << format_iso8601(now - std::chrono::hours(1)) << "\n"
       << "    end: " << format_iso8601(now + std::chrono::hours(1)) << "\n"
       << "    controller: test\n";
  return node.str();
}

std::optional<CameraStatus> status_of(Node& node, const CameraId& id) {
  for (const auto& s : node.engine().status()) {
    if (s.id == id) return s;
  }
  return std::nullopt;
}

std::vector<storage::JournalRecord> journal_of(Node& node, const std::string& action) {
  storage::JournalQuery q;
  q.action_prefix = action;
  q.limit = 100000;
  auto r = node.store().journal(q);
  EXPECT_TRUE(r.is_ok());
  return r.is_ok() ? *r : std::vector<storage::JournalRecord>{};
}

class NodeReloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(synth::ensure_scenes({{"intrusion", 1, dir_ / "scene"}}).is_ok());
  }
  // Opens and starts a node on `yaml`, counting the sources made per camera.
  std::unique_ptr<Node> start(const std::string& yaml) {
    test::write_file(file_, yaml);
    auto loaded = config::load_config_file(file_);
    EXPECT_TRUE(loaded.ok()) << loaded.error_text(file_.string());
    if (!loaded.ok()) return nullptr;
    NodeOptions options;
    options.hash_cost = govern::HashCost::kMinimal;
    options.config_file = file_;
    options.make_source = [this](ingest::SourceOptions o, const Clock& clock) {
      {
        std::lock_guard lock(mutex_);
        ++sources_[o.camera];
      }
      return ingest::make_source(std::move(o), clock);
    };
    auto opened = Node::open(*loaded.config, options);
    EXPECT_TRUE(opened.is_ok()) << opened.status().to_string();
    if (!opened.is_ok()) return nullptr;
    EXPECT_TRUE((*opened)->start().is_ok());
    return std::move(*opened);
  }
  int sources(const CameraId& id) {
    std::lock_guard lock(mutex_);
    return sources_[id];
  }

  test::TempDir dir_{"vigie-reload"};
  fs::path file_ = dir_ / "node.yaml";
  std::mutex mutex_;
  std::map<CameraId, int> sources_;
};

std::string without_rules(std::string camera_yaml) {
  return camera_yaml.substr(0, camera_yaml.find("rules:")) + "rules: []\n";
}

std::string taller_persons(std::string camera_yaml) {
  const std::string from = "person_height_px: 50";
  camera_yaml.replace(camera_yaml.find(from), from.size(), "person_height_px: 60");
  return camera_yaml;
}

TEST_F(NodeReloadTest, AddsRemovesAndChangesCamerasWhileTheOthersRunAndRefusesABadFile) {
  auto node = start(node_yaml(dir_ / "scene", {{"gate"}, {"yard"}, {"old"}}, "[gate, yard, old]"));
  ASSERT_TRUE(node);
  // Every camera raises its intrusion (about 14 s into the scene), and it is still open.
  std::mutex m;
  std::set<CameraId> raised;
  const int token = node->alerts().subscribe([&](const alerts::AlertEvent& e) {
    if (e.action != "alert.raised") return;
    std::lock_guard lock(m);
    raised.insert(e.alert.camera);
  });
  ASSERT_TRUE(test::eventually(
      [&] {
        std::lock_guard lock(m);
        return raised.size() == 3;
      },
      90))
      << "every camera raises the scene's intrusion";
  node->alerts().unsubscribe(token);
  const std::string version_before =
      journal_of(*node, "node.started").back().detail["config_version"];
  const CameraStatus gate_before = *status_of(*node, "gate");

  // yard: a zone changed and its intrusion rule removed; old removed; dock added (and
  // authorized by the same reload).
  test::write_file(
      file_, node_yaml(dir_ / "scene",
                       {{"gate"},
                        {"yard", [](std::string s) { return without_rules(taller_persons(s)); }},
                        {"dock"}},
                       "[gate, yard, dock]"));
  const ReloadResult r = node->reload("sup");
  ASSERT_TRUE(r.status.is_ok()) << r.status.to_string();
  EXPECT_NE(r.from_version, r.to_version);
  std::map<CameraId, CameraChange> changes;
  for (const auto& c : r.cameras) changes[c.camera] = c.change;
  EXPECT_EQ(changes.count("gate"), 0u) << "gate did not change";
  EXPECT_EQ(changes["yard"], CameraChange::kAnalysisChanged);
  EXPECT_EQ(changes["old"], CameraChange::kRemoved);
  EXPECT_EQ(changes["dock"], CameraChange::kAdded);

  // Applied: yard's new zone and rules, old gone, dock running; nobody's input reopened.
  const auto yard = node->engine().camera_config("yard");
  ASSERT_TRUE(yard);
  EXPECT_EQ(yard->zones[0].person_height_px, 60);
  EXPECT_TRUE(yard->rules.empty());
  EXPECT_FALSE(node->engine().camera_config("old"));
  EXPECT_FALSE(status_of(*node, "old")) << "a removed camera is no longer listed";
  ASSERT_TRUE(test::eventually(
      [&] {
        const auto dock = status_of(*node, "dock");
        return dock && dock->health.frames_analysed > 5;
      },
      30))
      << "the added camera is analysed";
  EXPECT_EQ(sources("gate"), 1) << "an unchanged camera keeps its input";
  EXPECT_EQ(sources("yard"), 1) << "a zone change does not reopen the input";
  EXPECT_EQ(sources("dock"), 1);
  const CameraStatus gate_after = *status_of(*node, "gate");
  EXPECT_GT(gate_after.health.frames_analysed, gate_before.health.frames_analysed);
  EXPECT_EQ(gate_after.health.frames_dropped, gate_before.health.frames_dropped)
      << "the unchanged camera lost no frame";
  EXPECT_EQ(gate_after.health.reconnects, gate_before.health.reconnects);

  // Journaled with both versions and what changed.
  const auto reloaded = journal_of(*node, "config.reloaded");
  ASSERT_EQ(reloaded.size(), 1u);
  EXPECT_EQ(reloaded[0].actor, "sup");
  EXPECT_EQ(reloaded[0].detail["from_version"], version_before);
  EXPECT_EQ(reloaded[0].detail["to_version"], r.to_version);
  EXPECT_EQ(reloaded[0].detail["cameras"].size(), 3u) << reloaded[0].detail.dump();

  // The open alerts of the removed rule and camera ended with the reason; gate's did not.
  std::map<std::string, std::string> ended_why;  // camera -> reason
  ASSERT_TRUE(test::eventually(
      [&] {
        ended_why.clear();
        for (const auto& e : journal_of(*node, "alert.ended")) {
          auto a = node->store().alert(e.detail.value("alert", std::int64_t{0}));
          if (a.is_ok() && *a) ended_why[(*a)->camera] = e.detail.value("reason", "");
        }
        return ended_why.count("yard") && ended_why.count("old");
      },
      10));
  EXPECT_EQ(ended_why["yard"], "its rule was removed from the configuration");
  EXPECT_EQ(ended_why["old"], "the camera was removed from the configuration");
  EXPECT_EQ(ended_why["gate"].find("configuration"), std::string::npos) << ended_why["gate"];

  // A file with errors changes nothing, and says where each error is.
  const std::string valid = node_yaml(dir_ / "scene", {{"gate"}}, "[gate]");
  test::write_file(
      file_, valid.substr(0, valid.find("storage:")) + "    weight: -3\nstorage: {}\nbogus: 1\n");
  const ReloadResult bad = node->reload("sup");
  EXPECT_EQ(bad.status.code(), StatusCode::kInvalidArgument);
  std::set<std::string> paths;
  for (const auto& e : bad.errors) paths.insert(e.path);
  EXPECT_TRUE(paths.count("bogus")) << ::testing::PrintToString(paths);
  EXPECT_TRUE(std::any_of(paths.begin(), paths.end(), [](const std::string& p) {
    return p.find("weight") != std::string::npos;
  })) << ::testing::PrintToString(paths);
  EXPECT_TRUE(node->engine().camera_config("dock")) << "nothing changed";
  EXPECT_TRUE(node->engine().camera_config("yard"));
  EXPECT_EQ(journal_of(*node, "config.reloaded").size(), 1u);
  EXPECT_EQ(journal_of(*node, "config.reload_refused").size(), 1u);
  EXPECT_EQ(sources("gate"), 1);
  node->stop();
}

}  // namespace
}  // namespace vigie::engine

namespace vigie::engine {
namespace {

// A camera knocked aside halfway through its (looped) scene: its health turns view_changed
// with the reason, /metrics and the journal say so, and a supervisor's acceptance is
// journaled and makes the view healthy.
TEST(NodeViewTest, AMovedViewIsShownJournaledAndAcceptedBySupervisor) {
  test::TempDir dir{"vigie-node-view"};
  synth::RenderOptions render;
  // The moved part lasts 34 s: long enough that a loaded machine still finds the view
  // changed when the supervisor accepts it, before the loop brings the first view back.
  render.duration_s = 40;
  render.tamper = synth::ViewTamper::kMoved;
  render.tamper_s = 6;
  ASSERT_TRUE(synth::render_scenario("normal", 1, dir / "scene", render).is_ok());
  auto camera = config::load_camera_file(dir / "scene" / "camera.yaml");
  ASSERT_TRUE(camera.ok());
  camera.camera->id = "gate";
  camera.camera->input.realtime = true;
  camera.camera->input.loop = true;
  config::Config config;
  config.cameras.push_back(*camera.camera);
  config.storage.data_dir = (dir / "data").string();
  config.api.port = 0;
  config::Authorization order;
  order.reference = "TEST-1";
  order.cameras = {"gate"};
  order.event_types = {EventType::kIntrusion};
  const auto now = std::chrono::system_clock::now();
  order.start = format_iso8601(now - std::chrono::hours(1));
  order.end = format_iso8601(now + std::chrono::hours(1));
  order.controller = "test";
  config.authorizations = {order};
  NodeOptions options;
  options.hash_cost = govern::HashCost::kMinimal;
  auto opened = Node::open(config, options);
  ASSERT_TRUE(opened.is_ok()) << opened.status().to_string();
  Node& node = **opened;
  ASSERT_TRUE(
      node.users().create("test", "sup", govern::Role::kSupervisor, "sup-password-1").is_ok());
  ASSERT_TRUE(node.users().create("test", "op", govern::Role::kOperator, "op-password-1").is_ok());
  ASSERT_TRUE(node.start().is_ok());

  ASSERT_TRUE(test::eventually(
      [&] {
        const auto s = status_of(node, "gate");
        return s && s->health.state == CameraState::kViewChanged;
      },
      60))
      << "the moved view is seen";
  const auto changed = *status_of(node, "gate");
  EXPECT_EQ(changed.view.problem, perceive::ViewProblem::kMoved);
  EXPECT_NE(changed.health.reason.find("view moved"), std::string::npos) << changed.health.reason;
  const test::PromExposition metrics = test::parse_prometheus(node.metrics_text());
  EXPECT_EQ(metrics.value("vigie_camera_view_changed", {{"camera", "gate"}, {"reason", "moved"}}),
            1);
  EXPECT_EQ(metrics.value("vigie_camera_view_changed", {{"camera", "gate"}, {"reason", "covered"}}),
            0);
  ASSERT_TRUE(
      test::eventually([&] { return !journal_of(node, "camera.view_changed").empty(); }, 10));
  EXPECT_EQ(journal_of(node, "camera.view_changed")[0].detail["reason"], "moved");

  httplib::Client http("127.0.0.1", node.api_port());
  auto login = [&](const std::string& user) {
    auto r = http.Post("/api/v1/login",
                       nlohmann::json{{"user", user}, {"password", user + "-password-1"}}.dump(),
                       "application/json");
    EXPECT_TRUE(r && r->status == 200);
    return httplib::Headers{
        {"Authorization", "Bearer " + nlohmann::json::parse(r->body)["token"].get<std::string>()}};
  };
  auto refused =
      http.Post("/api/v1/cameras/gate/accept-view", login("op"), "{}", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403) << "only a supervisor accepts a view";
  const auto sup = login("sup");
  // Still changed (the moved part of the scene lasts 34 s): accepted.
  ASSERT_TRUE(status_of(node, "gate")->view.changed);
  auto accepted = http.Post("/api/v1/cameras/gate/accept-view", sup, "{}", "application/json");
  ASSERT_TRUE(accepted);
  EXPECT_EQ(accepted->status, 200) << accepted->body;
  EXPECT_FALSE(status_of(node, "gate")->view.changed);
  const auto records = journal_of(node, "camera.view_accepted");
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].actor, "sup");
  EXPECT_EQ(records[0].detail["reason"], "moved");
  auto again = http.Post("/api/v1/cameras/gate/accept-view", sup, "{}", "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409) << "nothing left to accept";
  EXPECT_EQ(http.Post("/api/v1/cameras/nope/accept-view", sup, "{}", "application/json")->status,
            404);
  node.stop();
}

}  // namespace
}  // namespace vigie::engine
