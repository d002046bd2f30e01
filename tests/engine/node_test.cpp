// The node around the engine, with its real parts: an SQLite store, the evidence writer and
// a real mosquitto broker. A rendered intrusion scene raises one alert; the alert is stored
// and journaled, its evidence is written and hashed, and integrators receive it.

#include "engine/node.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/loader.hpp"
#include "core/iso_time.hpp"
#include "evidence/sha256.hpp"
#include "publish/mqtt_test_support.hpp"
#include "storage/journal_chain.hpp"
#include "support/process.hpp"
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

TEST_F(NodeTest, AnAlertIsStoredWithEvidenceAndReachesMqtt) {
  const int port = test::free_port();
  test::Broker broker(dir_ / "broker", port);
  std::string why;
  ASSERT_TRUE(broker.start(&why)) << why;
  test::Subscriber subscriber(port, "node-test");
  ASSERT_TRUE(test::eventually([&] { return subscriber.subscribed(); }));
  config_.mqtt.enabled = true;
  config_.mqtt.port = port;

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
    EXPECT_EQ(f.sha256, *evidence::sha256_file(path)) << f.kind;
    EXPECT_EQ(f.masked, f.kind != "raw");
  }

  ASSERT_TRUE(test::eventually(
      [&] { return !subscriber.payloads("vigie/gate/alerts").empty(); }, 10));
  const auto mqtt = nlohmann::json::parse(subscriber.payloads("vigie/alerts").front());
  EXPECT_EQ(mqtt["id"], alert.id);
  EXPECT_EQ(mqtt["type"], "intrusion");
  ASSERT_TRUE(test::eventually([&] { return !subscriber.payloads("vigie/gate/status").empty(); }));
  EXPECT_EQ(nlohmann::json::parse(subscriber.payloads("vigie/gate/status").back())["camera"],
            "gate");

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

}  // namespace
}  // namespace vigie::engine
