// vigie bench alerts: end-to-end alert latency under load. N cameras play rendered scenes
// (intrusions unless --scenarios says otherwise) at real-time pace through a whole node; a
// live-push (SSE) client and an MQTT client note when each new alert reaches them; the
// latency of an alert is that moment minus the wall time of the frame that completed it (the
// alert's raised_ms). With --detector the node runs the model as in production (asynchronous,
// default budgets) and the run also reports what it cost: inferences, the share of the
// process's CPU time spent in them, requests the budgets refused, and the process's memory.

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

#include "cli/bench_capacity.hpp"
#include "cli/bench_support.hpp"
#include "cli/commands.hpp"
#include "config/loader.hpp"
#include "core/process_usage.hpp"
#include "core/worker.hpp"
#include "engine/node.hpp"
#include "synth/scenario.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::cli {
namespace fs = std::filesystem;
namespace {

struct Options {
  int streams = 20;
  double duration_s = 90;
  std::string dir = "var/bench";
  int mqtt_port = 0;
  std::vector<std::string> scenarios = {"intrusion"};
  std::string detector;  ///< model file; empty: no detector
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
    const auto id = alert.value("id", std::int64_t{0});
    if (!latency_ms_.try_emplace(id, static_cast<double>(at - alert.value("raised_ms", at))).second)
      return;
    auto& [raised, confirmed] = by_type_[alert.value("type", std::string("?"))];
    ++raised;
    if (!alert.value("model_hash", std::string()).empty()) ++confirmed;
  }
  /// Alerts raised and, of them, confirmed by the detector, per event type.
  std::map<std::string, std::pair<int, int>> by_type() const {
    std::lock_guard lock(mutex_);
    return by_type_;
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
  std::map<std::string, std::pair<int, int>> by_type_;
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

/// The node's configuration into `config`: `o.streams` cameras playing rendered scenes (made
/// under `root` when missing) at real-time pace, authorised, storing under `data`. 0, or the
/// exit code once the problem is said.
int bench_config(const Options& o, const fs::path& root, const fs::path& data,
                 config::Config& config) {
  std::vector<synth::SceneRequest> scenes;
  for (int i = 0; i < o.streams; ++i) {
    // Cameras take the scenarios in turn, one seed per camera, so that events happen at
    // different times, as on a real site.
    const std::string& scenario = o.scenarios[static_cast<std::size_t>(i) % o.scenarios.size()];
    scenes.push_back({scenario, static_cast<std::uint64_t>(i + 1),
                      root / "scenes" / (scenario + "-" + std::to_string(i + 1))});
  }
  if (Status s = synth::ensure_scenes(scenes); !s.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", s.to_string().c_str());
    return 1;
  }
  std::vector<std::string> ids;
  for (const auto& scene : scenes) {
    auto camera = config::load_camera_file(scene.dir / "camera.yaml");
    if (!camera.ok()) {
      std::fputs(camera.error_text((scene.dir / "camera.yaml").string()).c_str(), stderr);
      return 1;
    }
    camera.camera->id = scene.dir.filename().string();
    camera.camera->input.loop = true;
    camera.camera->input.realtime = true;
    ids.push_back(camera.camera->id);
    config.cameras.push_back(*camera.camera);
  }
  config.authorizations = {bench_authorization(ids)};
  config.storage.data_dir = data.string();
  config.api.port = 0;
  if (!o.detector.empty()) {
    config.detector.emplace();
    config.detector->model = fs::absolute(o.detector).string();
  }
  return 0;
}

/// Starts a mosquitto broker of our own on `port` (its configuration and log under `root`),
/// and gives it a moment to listen. Returns its process id.
pid_t start_broker(const fs::path& root, int port) {
  fs::create_directories(root);
  const fs::path conf = root / "mosquitto.conf";
  std::ofstream(conf) << "listener " << port << " 127.0.0.1\nallow_anonymous true\n";
  const pid_t broker = ::fork();
  if (broker == 0) {
    const std::string log = (root / "mosquitto.log").string();
    if (std::freopen(log.c_str(), "w", stderr) == nullptr) ::_exit(127);
    ::execl("/usr/sbin/mosquitto", "mosquitto", "-c", conf.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  return broker;
}

/// Notes every alert.raised of the node's live event stream in `arrivals`, on a thread of
/// its own, until the returned worker is stopped. A stop is seen between chunks, and at the
/// latest when the 2 s read timeout ends a quiet stream.
Worker read_live_events(int port, const std::string& token, Arrivals& arrivals) {
  return Worker("vigie-bench-sse", [port, token, &arrivals](const std::stop_token& stop) {
    httplib::Client events("127.0.0.1", port);
    events.set_read_timeout(2, 0);
    std::string buffer;
    std::string event;
    while (!stop.stop_requested()) {
      events.Get("/api/v1/events", {{"Authorization", "Bearer " + token}},
                 [&](const char* chunk, std::size_t size) {
                   buffer.append(chunk, size);
                   for (auto nl = buffer.find('\n'); nl != std::string::npos;
                        nl = buffer.find('\n')) {
                     const std::string line = buffer.substr(0, nl);
                     buffer.erase(0, nl + 1);
                     if (line.rfind("event: ", 0) == 0) event = line.substr(7);
                     if (line.rfind("data: ", 0) == 0 && event == "alert.raised") {
                       arrivals.note(nlohmann::json::parse(line.substr(6), nullptr, false));
                     }
                   }
                   return !stop.stop_requested();
                 });
    }
  });
}

/// A client of the broker on `port` that notes every alert.raised of vigie/alerts in
/// `arrivals`, on libmosquitto's thread; null when it cannot be made.
mosquitto* subscribe_alerts(int port, Arrivals& arrivals) {
  mosquitto* sub = mosquitto_new("vigie-bench", true, &arrivals);
  if (sub == nullptr) return nullptr;
  mosquitto_message_callback_set(sub, [](mosquitto*, void* obj, const mosquitto_message* m) {
    auto j =
        nlohmann::json::parse(static_cast<const char*>(m->payload),
                              static_cast<const char*>(m->payload) + m->payloadlen, nullptr, false);
    if (j.is_object() && j.value("event", "") == "alert.raised") {
      static_cast<Arrivals*>(obj)->note(j);
    }
  });
  mosquitto_connect(sub, "127.0.0.1", port, 30);
  mosquitto_subscribe(sub, nullptr, "vigie/alerts", 1);
  mosquitto_loop_start(sub);
  return sub;
}

/// What the detector did between two reads of its counters, over `wall_ms` in which the
/// process used `cpu_ms` of CPU time.
void print_detector(const engine::DetectionStats& before, const engine::DetectionStats& after,
                    double cpu_ms, double wall_ms) {
  const auto inferences = after.inferences - before.inferences;
  const double inference_ms = after.inference_ms - before.inference_ms;
  std::printf(
      "detector: %llu inferences (%.1f/s), %.1f ms each, %.0f %% of the process's CPU "
      "time; refused %llu by the budgets, %llu by the full queue; %llu waited too "
      "long and were not run\n",
      static_cast<unsigned long long>(inferences),
      static_cast<double>(inferences) * 1000.0 / wall_ms,
      inferences > 0 ? inference_ms / static_cast<double>(inferences) : 0.0,
      cpu_ms > 0 ? 100.0 * inference_ms / cpu_ms : 0.0,
      static_cast<unsigned long long>(after.refused_budget - before.refused_budget),
      static_cast<unsigned long long>(after.refused_queue - before.refused_queue),
      static_cast<unsigned long long>(after.dropped_stale - before.dropped_stale));
}

int bench_alerts(const Options& o) {
  const fs::path root = fs::absolute(o.dir);
  const fs::path data = root / ("data-" + std::to_string(::getpid()));
  config::Config config;
  if (const int failed = bench_config(o, root, data, config); failed != 0) return failed;

  // A broker of our own unless one is given.
  pid_t broker = -1;
  int mqtt_port = o.mqtt_port;
  if (mqtt_port == 0 && fs::exists("/usr/sbin/mosquitto")) {
    mqtt_port = free_port();
    broker = start_broker(root, mqtt_port);
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

  httplib::Client client("127.0.0.1", (*node)->api_port());
  const nlohmann::json login = {{"user", "bench"}, {"password", password}};
  auto r = client.Post("/api/v1/login", login.dump(), "application/json");
  if (!r || r->status != 200) {
    std::fprintf(stderr, "bench: login failed\n");
    return 1;
  }
  const std::string token = nlohmann::json::parse(r->body).value("token", "");
  Worker sse_thread = read_live_events((*node)->api_port(), token, sse);

  mosquitto_lib_init();
  mosquitto* sub = mqtt_port != 0 ? subscribe_alerts(mqtt_port, mqtt) : nullptr;

  std::printf("bench: %d cameras at real-time pace for %.0f s (API port %d, MQTT port %d)\n",
              o.streams, o.duration_s, (*node)->api_port(), mqtt_port);
  std::fflush(stdout);
  const Usage before = Usage::now();
  const engine::DetectionService* detection = (*node)->engine().detection();
  const engine::DetectionStats detected_before =
      detection != nullptr ? detection->stats() : engine::DetectionStats{};
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  const Usage after = Usage::now();
  const engine::DetectionStats detected =
      detection != nullptr ? detection->stats() : engine::DetectionStats{};
  const auto statuses = (*node)->engine().status();
  double fps = 0;
  double analysis_ms = 0;
  std::uint64_t dropped = 0;
  for (const auto& s : statuses) {
    fps += s.analysed_fps;
    analysis_ms += s.analysis_ms;
    dropped += s.health.frames_dropped;
  }
  sse_thread.stop();
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
  std::printf("alerts raised (confirmed by the detector):");
  for (const auto& [type, counts] : sse.by_type()) {
    std::printf(" %s %d (%d)", type.c_str(), counts.first, counts.second);
  }
  std::printf("\n");
  const double cpu_ms = (after.process.cpu_s - before.process.cpu_s) * 1000.0;
  const double wall_ms = after.wall_ms - before.wall_ms;
  std::printf("process: %.2f cores of CPU time, resident memory %.0f MiB (peak %.0f MiB)\n",
              wall_ms > 0 ? cpu_ms / wall_ms : 0.0,
              static_cast<double>(after.process.resident_bytes) / (1024.0 * 1024.0),
              static_cast<double>(after.process.peak_resident_bytes) / (1024.0 * 1024.0));
  if (detection != nullptr) print_detector(detected_before, detected, cpu_ms, wall_ms);
  return 0;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto opts = std::make_shared<Options>();
  CLI::App* bench = app.add_subcommand("bench", "Benchmarks of a whole node.");
  bench->require_subcommand(1);
  CLI::App* alerts = bench->add_subcommand(
      "alerts",
      "End-to-end alert latency: cameras play rendered scenes at real-time pace; prints "
      "p50/p99 from the completing frame to the live push and to MQTT, alerts per type, and "
      "the process's CPU and memory.");
  alerts->add_option("--streams", opts->streams, "Cameras")->check(CLI::Range(1, 500))
      ->capture_default_str();
  alerts->add_option("--duration", opts->duration_s, "Seconds to run")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  alerts->add_option("--dir", opts->dir, "Folder for rendered scenes and the temporary store")
      ->capture_default_str();
  alerts->add_option("--mqtt-port", opts->mqtt_port,
                     "Port of a broker on 127.0.0.1 (default: start mosquitto on a free port)");
  std::vector<std::string> names;
  for (std::string_view n : synth::scenario_names()) names.emplace_back(n);
  alerts
      ->add_option("--scenarios", opts->scenarios,
                   "Rendered scenarios the cameras play, taken in turn (comma-separated)")
      ->delimiter(',')
      ->check(CLI::IsMember(names))
      ->capture_default_str();
  alerts
      ->add_option("--detector", opts->detector,
                   "Object detector model (.onnx, or Darknet .weights beside its .cfg), run "
                   "asynchronously with the default budgets; also reports its cost")
      ->check(CLI::ExistingFile);

  auto capacity_opts = std::make_shared<CapacityOptions>();
  CLI::App* capacity = bench->add_subcommand(
      "capacity",
      "How many cameras this machine analyses: N copies of one source at real-time pace with "
      "every classical rule on; prints core per stream by thread role, the slowest camera's "
      "rate, frames dropped, memory per stream, and libav's decode-only cost of the same "
      "source for comparison.");
  add_capacity_options(*capacity, *capacity_opts);
  return {bench, [opts, capacity, capacity_opts] {
            return capacity->parsed() ? bench_capacity(*capacity_opts) : bench_alerts(*opts);
          }};
}

}  // namespace vigie::cli
