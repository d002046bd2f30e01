#include "api/api_harness.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "core/alert.hpp"


namespace vigie::testing {

ApiHarness::ApiHarness(HarnessOptions options) {
  std::random_device rd;
  dir = std::filesystem::temp_directory_path() / ("vigie-api-" + std::to_string(rd()));
  std::filesystem::create_directories(dir / "evidence");
  auto opened = storage::open_sqlite_store(dir / "vigie.db");
  if (!opened) throw std::runtime_error(opened.status().to_string());
  store = std::move(*opened);
  const Clock& clock = options.clock != nullptr ? *options.clock : SystemClock::instance();
  alerts = std::make_unique<alerts::AlertService>(*store, clock, options.alert_options);
  config::Authorization a;
  a.reference = "ARR-2026-042";
  a.cameras = {"cam-a"};
  a.event_types = {EventType::kIntrusion, EventType::kFire};
  a.start = "2020-01-01T00:00:00Z";
  a.end = "2099-01-01T00:00:00Z";
  a.controller = "Préfecture de police";
  auto g = govern::Governance::open(*store, clock, {a});
  if (!g) throw std::runtime_error(g.status().to_string());
  governance = std::move(*g);
  users = std::make_unique<govern::UserDirectory>(*store, clock, govern::HashCost::kMinimal,
                                                  options.hash_pool);
  for (auto [name, role] : {std::pair{"op", govern::Role::kOperator},
                            std::pair{"sup", govern::Role::kSupervisor},
                            std::pair{"aud", govern::Role::kAuditor},
                            std::pair{"adm", govern::Role::kAdmin}}) {
    auto u = users->create("system", name, role, kPassword);
    if (!u) throw std::runtime_error(u.status().to_string());
  }

  const std::filesystem::path evidence_root = dir / "evidence";
  api::ApiDeps deps{
      .store = *store,
      .alerts = *alerts,
      .governance = *governance,
      .users = *users,
      .clock = clock,
      .cameras =
          [target = options.cam_a_target_fps] {
            std::vector<api::CameraView> v(2);
            v[0].id = "cam-a";
            v[0].name = "Place de la Gare";
            v[0].health.state = CameraState::kLive;
            v[0].analysed_fps = 5;
            v[0].target_fps = target;
            v[1].id = "cam-b";
            v[1].name = "Quai Nord";
            v[1].health.state = CameraState::kStalled;
            v[1].health.reason = "no packet for 3 s";
            v[1].calibration = true;
            return v;
          },
      // A node's family, with a label value that needs every escape.
      .metrics_extra =
          [](PrometheusText& out) {
            out.family("vigie_camera_frames_total", MetricType::kCounter, "Frames.")
                .sample({{"camera", "cam-a"}, {"stage", "analysed"}}, 5)
                .sample({{"camera", "odd \"cam\" \\ \n"}, {"stage", "analysed"}}, 1);
          },
      .evidence_root = evidence_root,
      .evidence_file =
          [evidence_root](const storage::EvidenceRecord& e,
                          bool unmasked) -> Result<std::filesystem::path> {
        const std::filesystem::path p = evidence_root / e.path;
        if (!unmasked) return p;
        return p.parent_path() / ("unmasked-" + p.filename().string());
      },
      .public_cameras = {{"cam-a", "Place de la Gare"}, {"cam-b", "Quai Nord"}},
      // A real node's frames and geometry are tested in tests/engine/node_test.cpp.
      .camera_frame = {},
      .camera_geometry = {},
      .set_camera_geometry = {},
      .system = {},
  };
  deps.options.sse_heartbeat_s = options.sse_heartbeat_s;
  deps.options.sse_queue_events = options.sse_queue_events;
  if (options.geometry) {
    deps.set_camera_geometry = [](const CameraId&, const nlohmann::json& geometry,
                                  const std::string&, bool) {
      api::GeometryChange change;
      change.before = nlohmann::json::object();
      change.after = geometry;
      return change;
    };
  }
  if (options.tune) options.tune(deps.options);
  config::ApiConfig cfg;
  cfg.listen = "127.0.0.1";
  cfg.port = 0;
  cfg.tls_cert = options.tls_cert;
  cfg.tls_key = options.tls_key;
  cfg.metrics_token = options.metrics_token;
  server = std::make_unique<api::ApiServer>(deps, cfg);
  Status s = server->start();
  if (!s.is_ok()) throw std::runtime_error(s.to_string());
}

ApiHarness::~ApiHarness() {
  server->stop();
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

std::unique_ptr<httplib::Client> ApiHarness::client() const {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port());
  c->set_read_timeout(10, 0);
  return c;
}

std::string ApiHarness::login(const std::string& user) const {
  auto c = client();
  nlohmann::json body = {{"user", user}, {"password", kPassword}};
  auto r = c->Post("/api/v1/login", body.dump(), "application/json");
  if (!r || r->status != 200) {
    throw std::runtime_error("login of " + user + " failed: " +
                             (r ? std::to_string(r->status) + " " + r->body : "no response"));
  }
  return nlohmann::json::parse(r->body).at("token").get<std::string>();
}

storage::AlertRecord ApiHarness::raise(const std::string& camera, EventType type,
                                       bool calibration) {
  Alert a;
  a.id = camera + "-" + std::string(to_string(type)) + "-" + std::to_string(++raised);
  a.type = type;
  a.camera = camera;
  a.zone = "z1";
  a.start_s = raised;
  a.last_s = raised;
  a.wall_start = std::chrono::system_clock::now();
  a.score = 0.9;
  a.detail = "test";
  a.region = cv::Rect2d(10, 20, 30, 40);
  auto r = alerts->report(a, AlertChange::kRaised, calibration);
  if (!r) throw std::runtime_error(r.status().to_string());
  return *r;
}

storage::EvidenceRecord ApiHarness::add_snapshot(std::int64_t alert_id,
                                                 const std::string& content,
                                                 const std::string& node) {
  const std::string name = "a" + std::to_string(alert_id) + ".jpg";
  std::ofstream(dir / "evidence" / name, std::ios::binary) << content;
  std::ofstream(dir / "evidence" / ("unmasked-" + name), std::ios::binary) << "RAW:" << content;
  storage::EvidenceRecord e;
  e.alert_id = alert_id;
  e.kind = "snapshot";
  e.masked = true;
  e.path = name;
  e.sha256 = std::string(64, 'a');
  e.bytes = static_cast<std::int64_t>(content.size());
  e.created_ms = 1;
  e.node = node;
  Status s = alerts->add_evidence(alert_id, {e});
  if (!s.is_ok()) throw std::runtime_error(s.to_string());
  auto list = store->evidence(alert_id);
  if (!list || list->empty()) throw std::runtime_error("evidence not stored");
  return list->back();
}

httplib::Headers bearer(const std::string& token) {
  return {{"Authorization", "Bearer " + token}};
}

nlohmann::json body_json(const httplib::Result& r) {
  if (!r) return nullptr;
  return nlohmann::json::parse(r->body, nullptr, false);
}

}  // namespace vigie::testing
