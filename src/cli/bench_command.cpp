// vigie bench alerts: end-to-end alert latency under load. N cameras play rendered intrusion
// scenes at real-time pace through a whole node; a live-push (SSE) client and an MQTT client
// note when each new alert reaches them; the latency of an alert is that moment minus the
// wall time of the frame that completed it (the alert's raised_ms).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <thread>

#include <httplib.h>
#include <mosquitto.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "core/iso_time.hpp"
#include "engine/node.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::cli {
namespace fs = std::filesystem;
namespace {

struct Options {
  int streams = 20;
  double duration_s = 90;
  std::string dir = "var/bench";
  int mqtt_port = 0;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Latency of each alert id, as one client saw it.
class Arrivals {
 public:
  void note(const nlohmann::json& alert) {
    const std::int64_t at = now_ms();
    std::lock_guard lock(mutex_);
    latency_ms_.try_emplace(alert.value("id", std::int64_t{0}),
                            static_cast<double>(at - alert.value("raised_ms", at)));
  }
  std::vector<double> sorted() const {
    std::lock_guard lock(mutex_);
    std::vector<double> v;
    for (const auto& [id, ms] : latency_ms_) v.push_back(ms);
    std::sort(v.begin(), v.end());
    return v;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::int64_t, double> latency_ms_;
};

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto i = static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

void report(const char* what, const Arrivals& arrivals) {
  const auto v = arrivals.sorted();
  if (v.empty()) {
    std::printf("  %-10s no alert received\n", what);
    return;
  }
  std::printf("  %-10s %3zu alerts  p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", what, v.size(),
              percentile(v, 0.5), percentile(v, 0.99), v.back());
}

// A loopback port that was free a moment ago.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  if (fd >= 0) ::close(fd);
  return port;
}

int bench_alerts(const Options& o) {
  const fs::path root = fs::absolute(o.dir);
  std::vector<synth::SceneRequest> scenes;
  for (int i = 0; i < o.streams; ++i) {
    // One seed per camera, so intrusions happen at different times, as on a real site.
    scenes.push_back({"intrusion", static_cast<std::uint64_t>(i + 1),
                      root / "scenes" / ("intrusion-" + std::to_string(i + 1))});
  }
  if (Status s = synth::ensure_scenes(scenes); !s.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", s.to_string().c_str());
    return 1;
  }
  config::Config config;
  config::Authorization order;
  order.reference = "BENCH (not a prefectoral order)";
  order.event_types = {EventType::kIntrusion};
  order.start = format_iso8601(std::chrono::system_clock::now() - std::chrono::hours(1));
  order.end = format_iso8601(std::chrono::system_clock::now() + std::chrono::hours(2));
  order.controller = "bench";
  for (const auto& scene : scenes) {
    auto camera = config::load_camera_file(scene.dir / "camera.yaml");
    if (!camera.ok()) {
      std::fputs(camera.error_text((scene.dir / "camera.yaml").string()).c_str(), stderr);
      return 1;
    }
    camera.camera->id = scene.dir.filename().string();
    camera.camera->input.loop = true;
    camera.camera->input.realtime = true;
    order.cameras.push_back(camera.camera->id);
    config.cameras.push_back(*camera.camera);
  }
  config.authorizations = {order};
  const fs::path data = root / ("data-" + std::to_string(::getpid()));
  config.storage.data_dir = data.string();
  config.api.port = 0;

  // A broker of our own unless one is given.
  pid_t broker = -1;
  int mqtt_port = o.mqtt_port;
  if (mqtt_port == 0 && fs::exists("/usr/sbin/mosquitto")) {
    mqtt_port = free_port();
    fs::create_directories(root);
    const fs::path conf = root / "mosquitto.conf";
    std::ofstream(conf) << "listener " << mqtt_port << " 127.0.0.1\nallow_anonymous true\n";
    broker = ::fork();
    if (broker == 0) {
      const std::string log = (root / "mosquitto.log").string();
      if (std::freopen(log.c_str(), "w", stderr) == nullptr) ::_exit(127);
      ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
  }
  if (mqtt_port != 0) {
    config.mqtt.enabled = true;
    config.mqtt.port = mqtt_port;
  }

  auto node = engine::Node::open(config, {});
  if (!node.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", node.status().to_string().c_str());
    return 1;
  }
  const std::string password = "bench-password";
  if (auto u = (*node)->users().create("bench", "bench", govern::Role::kOperator, password);
      !u.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", u.status().to_string().c_str());
    return 1;
  }
  if (Status s = (*node)->start(); !s.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", s.to_string().c_str());
    return 1;
  }

  Arrivals sse;
  Arrivals mqtt;
  std::atomic<bool> stopping{false};

  httplib::Client client("127.0.0.1", (*node)->api_port());
  const nlohmann::json login = {{"user", "bench"}, {"password", password}};
  auto r = client.Post("/api/v1/login", login.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "bench: login failed\n");
    return 1;
  }
  const std::string token = nlohmann::json::parse(r->body).value("token", "");
  std::thread sse_thread([&] {
    httplib::Client events("127.0.0.1", (*node)->api_port());
    events.set_read_timeout(2, 0);
    std::string buffer;
    std::string event;
    while (!stopping) {
      events.Get(
          "/api/v1/events", {{"Authorization", "Bearer " + token}},
          [&](const char* chunk, std::size_t size) {
            buffer.append(chunk, size);
            for (auto nl = buffer.find('\n'); nl != std::string::npos; nl = buffer.find('\n')) {
              const std::string line = buffer.substr(0, nl);
              buffer.erase(0, nl + 1);
              if (line.rfind("event: ", 0) == 0) event = line.substr(7);
              if (line.rfind("data: ", 0) == 0 && event == "alert.raised") {
                sse.note(nlohmann::json::parse(line.substr(6), nullptr, false));
              }
            }
            return !stopping.load();
          });
    }
  });

  mosquitto_lib_init();
  mosquitto* sub = mosquitto_new("vigie-bench", true, &mqtt);
  if (mqtt_port != 0 && sub != nullptr) {
    mosquitto_message_callback_set(sub, [](mosquitto*, void* obj, const mosquitto_message* m) {
      auto j = nlohmann::json::parse(static_cast<const char*>(m->payload),
                                     static_cast<const char*>(m->payload) + m->payloadlen, nullptr,
                                     false);
      if (j.is_object() && j.value("event", "") == "alert.raised") {
        static_cast<Arrivals*>(obj)->note(j);
      }
    });
    mosquitto_connect(sub, "127.0.0.1", mqtt_port, 30);
    mosquitto_subscribe(sub, nullptr, "vigie/alerts", 1);
    mosquitto_loop_start(sub);
  }

  std::printf("bench: %d cameras at real-time pace for %.0f s (API port %d, MQTT port %d)\n",
              o.streams, o.duration_s, (*node)->api_port(), mqtt_port);
  std::fflush(stdout);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  const auto statuses = (*node)->engine().status();
  double fps = 0;
  double analysis_ms = 0;
  std::uint64_t dropped = 0;
  for (const auto& s : statuses) {
    fps += s.analysed_fps;
    analysis_ms += s.analysis_ms;
    dropped += s.health.frames_dropped;
  }
  stopping = true;
  sse_thread.join();
  (*node)->stop();
  if (sub != nullptr) {
    mosquitto_loop_stop(sub, true);
    mosquitto_destroy(sub);
  }
  mosquitto_lib_cleanup();
  if (broker > 0) {
    ::kill(broker, SIGTERM);
    ::waitpid(broker, nullptr, 0);
  }
  std::error_code ec;
  fs::remove_all(data, ec);

  std::printf("alert latency, frame that completed the event -> client:\n");
  report("live push", sse);
  report("MQTT", mqtt);
  std::printf("load: %.1f analysed frames/s in all, %.1f ms mean analysis per frame, %llu frames "
              "dropped\n",
              fps, statuses.empty() ? 0.0 : analysis_ms / static_cast<double>(statuses.size()),
              static_cast<unsigned long long>(dropped));
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks of a whole node.");
  bench->require_subcommand(1);
  CLI::App* alerts = bench->add_subcommand(
      "alerts",
      "End-to-end alert latency: cameras play rendered intrusion scenes at real-time pace; "
      "prints p50/p99 from the completing frame to the live push and to MQTT.");
  alerts->add_option("--streams", opts->streams, "Cameras")->check(CLI::Range(1, 500))
      ->capture_default_str();
  alerts->add_option("--duration", opts->duration_s, "Seconds to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  alerts->add_option("--dir", opts->dir, "Folder for rendered scenes and the temporary store")
      ->capture_default_str();
  alerts->add_option("--mqtt-port", opts->mqtt_port,
                     "Port of a broker on 127.0.0.1 (default: start mosquitto on a free port)");
  return {bench, [opts] { return bench_alerts(*opts); }};
}

}  // namespace vigie::cli
