#include "cli/bench_capacity.hpp"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <thread>

#include <nlohmann/json.hpp>

#include "cli/bench_support.hpp"
#include "config/loader.hpp"
#include "core/status.hpp"
#include "engine/node.hpp"
#include "ingest/demux_reader.hpp"
#include "ingest/frame_decoder.hpp"
#include "synth/scenario.hpp"

namespace vigie::cli {
namespace fs = std::filesystem;
namespace {

using Json = nlohmann::json;

// The made source: a camera's view of a plaza with people walking, at a camera's usual
// settings (720p25, 2 Mbit/s, a keyframe every 2 s, no B-frames), sensor noise included.
constexpr int kSourceWidth = 1280;
constexpr int kSourceHeight = 720;
constexpr double kSourceSeconds = 60;
constexpr int kSourceKbps = 2000;

// A camera keeps up when it analyses at least this share of its rate and drops less than
// this share of its frames.
constexpr double kRateShare = 0.95;
constexpr double kDropShare = 0.01;

double thread_cpu_s() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// What libav alone spends decoding the source, with the decoder options the cameras use.
struct DecodeCost {
  double video_s = 0;  ///< seconds of stream decoded
  double cpu_s = 0;    ///< CPU time the decoding took
  int width = 0;
  int height = 0;
  [[nodiscard]] double core_per_stream() const { return video_s > 0 ? cpu_s / video_s : 0; }
};

Result<DecodeCost> measure_decode_only(const config::CameraConfig& camera, double seconds) {
  ingest::SourceOptions options;
  options.url = camera.url;
  options.connect_timeout_s = camera.input.connect_timeout_s;
  options.read_timeout_s = camera.input.read_timeout_s;
  ingest::Interrupter interrupter;
  VIGIE_ASSIGN_OR_RETURN(auto reader, ingest::DemuxReader::open(options, interrupter));
  AVStream& st = reader->stream();
  VIGIE_ASSIGN_OR_RETURN(
      auto decoder,
      ingest::FrameDecoder::open(ingest::av::stream_info(st),
                                 {.skip_loop_filter = camera.input.skip_loop_filter,
                                  .skip_non_reference = camera.input.skip_non_reference,
                                  .hwaccel = camera.input.hwaccel}));

  DecodeCost cost;
  cost.width = st.codecpar->width;
  cost.height = st.codecpar->height;
  const double fps = st.avg_frame_rate.num > 0 ? av_q2d(st.avg_frame_rate) : 25.0;
  ingest::av::PacketPtr packet = ingest::av::make_packet();
  long frames = 0;
  const double started = thread_cpu_s();
  while (static_cast<double>(frames) / fps < seconds) {
    interrupter.arm(options.read_timeout_s);
    int err = reader->read(*packet);
    if (err == AVERROR_EOF) {
      // A short file is decoded again from its start, as the looping cameras do.
      decoder->flush();
      if (reader->rewind() < 0) break;
      continue;
    }
    if (err < 0) break;
    (void)decoder->send(packet.get());
    av_packet_unref(packet.get());
    for (;;) {
      auto frame = decoder->receive();
      if (!frame.is_ok() || *frame == nullptr) break;
      ++frames;
    }
  }
  cost.cpu_s = thread_cpu_s() - started;
  cost.video_s = static_cast<double>(frames) / fps;
  if (frames == 0) return invalid_argument("no frame could be decoded from the source");
  return cost;
}

bool has_rule(const config::CameraConfig& camera, EventType type) {
  return std::any_of(camera.rules.begin(), camera.rules.end(),
                     [&](const config::RuleConfig& r) { return r.type() == type && r.enabled; });
}

// The camera every stream of the run is a copy of: the camera file's geometry, with every
// classical rule on. The intrusion rule watches a place where nobody walks (the camera
// file's own intrusion zones, or a corner), unless alerts are wanted: then the whole image.
Result<config::CameraConfig> bench_camera(const CapacityOptions& o, const std::string& source,
                                          const DecodeCost& probe) {
  config::CameraConfig camera;
  fs::path camera_file = o.camera;
  if (camera_file.empty() && ingest::input_kind(source) == ingest::InputKind::kFile) {
    const fs::path beside = fs::path(source).parent_path() / "camera.yaml";
    if (fs::exists(beside)) camera_file = beside;
  }
  if (!camera_file.empty()) {
    auto loaded = config::load_camera_file(camera_file);
    if (!loaded.ok()) return invalid_argument(loaded.error_text(camera_file.string()));
    camera = *loaded.camera;
  }
  camera.url = ingest::input_kind(source) == ingest::InputKind::kFile
                   ? fs::absolute(source).string()
                   : source;
  camera.input.loop = true;
  camera.input.realtime = true;
  camera.calibration_mode = false;
  // The detector is optional and weapons need it: this benchmark is of the classical path.
  std::erase_if(camera.rules, [](const config::RuleConfig& r) {
    return r.type() == EventType::kWeapon || !r.enabled;
  });

  std::vector<std::string> quiet_zones;
  for (const auto& r : camera.rules) {
    if (r.type() == EventType::kIntrusion) quiet_zones = r.zones;
  }
  if (quiet_zones.empty()) {
    const double w = probe.width * 0.06;
    const double h = probe.height * 0.06;
    camera.zones.push_back({"bench-corner", "Corner nobody walks to",
                            {{0, 0}, {w, 0}, {w, h}, {0, h}}, std::nullopt, std::nullopt});
    quiet_zones = {"bench-corner"};
  }
  std::erase_if(camera.rules,
                [](const config::RuleConfig& r) { return r.type() == EventType::kIntrusion; });
  config::RuleConfig intrusion;
  intrusion.params = config::IntrusionParams{};
  if (!o.alerts) intrusion.zones = quiet_zones;
  if (o.alerts && o.alert_zones > 1) {
    // A rule raises one situation at a time, whatever its zones: one rule per band.
    const double band = probe.width / static_cast<double>(o.alert_zones);
    for (int i = 0; i < o.alert_zones; ++i) {
      const std::string id = "bench-band-" + std::to_string(i + 1);
      const double x0 = band * i;
      const double x1 = band * (i + 1);
      const double h = probe.height;
      camera.zones.push_back({id,
                              "Band " + std::to_string(i + 1) + " of the image",
                              {{x0, 0}, {x1, 0}, {x1, h}, {x0, h}},
                              std::nullopt,
                              std::nullopt});
      if (i + 1 < o.alert_zones) {
        config::RuleConfig band_rule = intrusion;
        band_rule.zones = {id};
        camera.rules.push_back(band_rule);
      } else {
        intrusion.zones = {id};
      }
    }
  }
  camera.rules.push_back(intrusion);

  if (!has_rule(camera, EventType::kWrongWay)) {
    // Wrong way needs an allowed direction: the first zone of the quiet place gets one, so
    // the rule runs (its tracks are the tracker's, computed anyway) without alerting.
    for (auto& z : camera.zones) {
      if (z.id != quiet_zones.front()) continue;
      if (!z.allowed_direction) z.allowed_direction = Point(1, 0);
      config::RuleConfig wrong_way;
      wrong_way.params = config::WrongWayParams{};
      wrong_way.zones = {z.id};
      camera.rules.push_back(wrong_way);
    }
  }
  for (EventType type : {EventType::kCrowdMovement, EventType::kDensity,
                         EventType::kAbandonedObject, EventType::kPersonOnGround,
                         EventType::kFire}) {
    if (has_rule(camera, type)) continue;
    config::RuleConfig rule;
    rule.params = config::default_params(type);
    camera.rules.push_back(rule);
  }
  return camera;
}

// Per thread role, from the names the node gives its threads.
std::string role_of(const std::string& thread_name) {
  if (thread_name == "vigie-analysis") return "decode+analysis";
  if (thread_name == "vigie-input") return "input";
  if (thread_name == "vigie-evidence") return "evidence";
  if (thread_name == "vigie-api") return "api";
  return "other";
}

std::map<std::string, double> cpu_by_role() {
  std::map<std::string, double> out;
  for (const auto& g : thread_cpu_by_name()) out[role_of(g.name)] += g.cpu_s;
  return out;
}

struct Trial {
  int streams = 0;
  double wall_s = 0;
  double core_per_stream = 0;
  std::map<std::string, double> role_core_per_stream;
  double slowest_fps = 0;
  double target_fps = 0;
  std::string slowest_camera;
  double dropped_share = 0;
  std::uint64_t frames_dropped = 0;
  double rss_mib_per_stream = 0;
  double rss_mib = 0;
  int alerts = 0;
  std::map<std::string, int> alerts_by_type;
  double evidence_cpu_s_per_alert = 0;
  std::uint64_t evidence_written = 0;  ///< alerts whose evidence was written in the window
  std::uint64_t evidence_failed = 0;
  double evidence_cpu_s_per_written = 0;
  /// When the window's alerts were raised, seconds after the window's start.
  double first_alert_s = 0;
  double last_alert_s = 0;
  /// Alerts raised during the warm-up, and when (seconds after the node's start).
  int warmup_alerts = 0;
  double first_warmup_alert_s = 0;
  double last_warmup_alert_s = 0;
  [[nodiscard]] bool keeps_up() const {
    return slowest_fps >= kRateShare * target_fps && dropped_share < kDropShare;
  }
};

// Alerts raised so far, per event type.
std::map<std::string, int> alerts_by_type(engine::Node& node) {
  storage::AlertQuery q;
  q.include_calibration = true;
  q.limit = 100000;
  std::map<std::string, int> out;
  auto a = node.store().alerts(q);
  if (a.is_ok()) {
    for (const auto& alert : *a) ++out[std::string(to_string(alert.type))];
  }
  return out;
}

// Seconds after `since` of the first and last alert raised since then (0, 0 if none).
std::pair<double, double> raised_between(engine::Node& node,
                                         std::chrono::system_clock::time_point since) {
  const auto since_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(since.time_since_epoch()).count();
  storage::AlertQuery q;
  q.include_calibration = true;
  q.from_ms = since_ms;
  q.limit = 100000;
  auto a = node.store().alerts(q);
  if (!a.is_ok() || a->empty()) return {0.0, 0.0};
  double first = 1e300;
  double last = 0;
  for (const auto& alert : *a) {
    const double s = static_cast<double>(alert.raised_ms - since_ms) / 1000.0;
    first = std::min(first, s);
    last = std::max(last, s);
  }
  return {first, last};
}

Result<Trial> run_trial(const config::CameraConfig& base, int streams, const CapacityOptions& o,
                        const fs::path& root) {
  config::Config config;
  std::vector<std::string> ids;
  for (int i = 0; i < streams; ++i) {
    config::CameraConfig c = base;
    c.id = "bench-" + std::to_string(i + 1);
    c.name = "bench camera " + std::to_string(i + 1);
    ids.push_back(c.id);
    config.cameras.push_back(std::move(c));
  }
  config.authorizations = {bench_authorization(ids)};
  const fs::path data = root / ("data-" + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(data, ec);
  config.storage.data_dir = data.string();
  config.api.port = 0;

  const double rss_before = static_cast<double>(read_process_usage().resident_bytes);
  VIGIE_ASSIGN_OR_RETURN(auto node, engine::Node::open(config, {}));
  VIGIE_RETURN_IF_ERROR(node->start());
  const auto node_start = std::chrono::system_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup_s));
  const auto warmup_alerts = alerts_by_type(*node);
  const auto [first_warmup_s, last_warmup_s] = raised_between(*node, node_start);

  const Usage before = Usage::now();
  const auto roles_before = cpu_by_role();
  const auto status_before = node->engine().status();
  const auto alerts_before = alerts_by_type(*node);
  const engine::NodeCounters counters_before = node->counters();
  const auto window_start = std::chrono::system_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(o.duration_s));
  const Usage after = Usage::now();
  const auto roles_after = cpu_by_role();
  const auto status_after = node->engine().status();
  const auto alerts_after = alerts_by_type(*node);
  const engine::NodeCounters counters_after = node->counters();
  const auto [first_alert_s, last_alert_s] = raised_between(*node, window_start);
  node->stop();
  node.reset();
  fs::remove_all(data, ec);

  Trial t;
  t.streams = streams;
  t.wall_s = (after.wall_ms - before.wall_ms) / 1000.0;
  const double n = streams;
  t.core_per_stream = (after.process.cpu_s - before.process.cpu_s) / t.wall_s / n;
  double named = 0;
  for (const auto& [role, cpu] : roles_after) {
    const auto it = roles_before.find(role);
    const double used = cpu - (it != roles_before.end() ? it->second : 0.0);
    if (role != "other") named += used;
    t.role_core_per_stream[role] = used / t.wall_s / n;
  }
  // Threads that ended during the window are in the process's time only: they count as other.
  t.role_core_per_stream["other"] =
      std::max(0.0, (after.process.cpu_s - before.process.cpu_s - named) / t.wall_s / n);

  std::map<std::string, CameraHealth> start;
  for (const auto& s : status_before) start[s.id] = s.health;
  t.target_fps = base.analysis.fps;
  t.slowest_fps = 1e9;
  std::uint64_t decoded = 0;
  for (const auto& s : status_after) {
    const CameraHealth& h0 = start[s.id];
    const double fps =
        static_cast<double>(s.health.frames_analysed - h0.frames_analysed) / t.wall_s;
    if (fps < t.slowest_fps) {
      t.slowest_fps = fps;
      t.slowest_camera = s.id;
    }
    decoded += s.health.frames_decoded - h0.frames_decoded;
    t.frames_dropped += s.health.frames_dropped - h0.frames_dropped;
  }
  if (status_after.empty()) t.slowest_fps = 0;
  t.dropped_share = decoded + t.frames_dropped > 0
                        ? static_cast<double>(t.frames_dropped) /
                              static_cast<double>(decoded + t.frames_dropped)
                        : 0.0;
  t.rss_mib = static_cast<double>(after.process.resident_bytes) / (1024.0 * 1024.0);
  t.rss_mib_per_stream =
      (static_cast<double>(after.process.resident_bytes) - rss_before) / (1024.0 * 1024.0) / n;
  for (const auto& [type, count] : alerts_after) {
    const auto it = alerts_before.find(type);
    const int raised = count - (it != alerts_before.end() ? it->second : 0);
    if (raised == 0) continue;
    t.alerts_by_type[type] = raised;
    t.alerts += raised;
  }
  for (const auto& [type, count] : warmup_alerts) t.warmup_alerts += count;
  t.first_warmup_alert_s = first_warmup_s;
  t.last_warmup_alert_s = last_warmup_s;
  t.first_alert_s = first_alert_s;
  t.last_alert_s = last_alert_s;
  const double evidence_cpu_s = t.role_core_per_stream["evidence"] * t.wall_s * n;
  if (t.alerts > 0) t.evidence_cpu_s_per_alert = evidence_cpu_s / static_cast<double>(t.alerts);
  // Evidence is rendered after its window closes (10 s after the alert's start), so the
  // renderings of a window are not all of its alerts': per written evidence is the cost.
  t.evidence_written = counters_after.evidence_written - counters_before.evidence_written;
  t.evidence_failed = counters_after.evidence_failed - counters_before.evidence_failed;
  if (t.evidence_written > 0) {
    t.evidence_cpu_s_per_written = evidence_cpu_s / static_cast<double>(t.evidence_written);
  }
  return t;
}

void print_trial(const Trial& t, const DecodeCost& decode) {
  std::printf("%3d streams: %.3f core/stream (", t.streams, t.core_per_stream);
  bool first = true;
  for (const auto& [role, core] : t.role_core_per_stream) {
    std::printf("%s%s %.3f", first ? "" : ", ", role.c_str(), core);
    first = false;
  }
  std::printf(
      "); slowest %s %.2f/%.2f fps; dropped %.2f %% (%llu frames); RSS %.0f MiB "
      "(%.1f MiB/stream)",
      t.slowest_camera.c_str(), t.slowest_fps, t.target_fps, 100.0 * t.dropped_share,
      static_cast<unsigned long long>(t.frames_dropped), t.rss_mib, t.rss_mib_per_stream);
  if (decode.core_per_stream() > 0) {
    std::printf("; decode-only %.0f %% of the cost", 100.0 * decode.core_per_stream() /
                                                         std::max(1e-9, t.core_per_stream));
  }
  if (t.alerts > 0) {
    std::printf("; alerts:");
    for (const auto& [type, count] : t.alerts_by_type) std::printf(" %s %d", type.c_str(), count);
    std::printf(" (raised %.1f to %.1f s into the window), %.2f s evidence CPU each",
                t.first_alert_s, t.last_alert_s, t.evidence_cpu_s_per_alert);
  }
  if (t.warmup_alerts > 0) {
    std::printf("; %d alerts in the warm-up (%.1f to %.1f s after the start)", t.warmup_alerts,
                t.first_warmup_alert_s, t.last_warmup_alert_s);
  }
  if (t.evidence_written + t.evidence_failed > 0) {
    std::printf("; evidence written %llu (failed %llu), %.2f s CPU each",
                static_cast<unsigned long long>(t.evidence_written),
                static_cast<unsigned long long>(t.evidence_failed), t.evidence_cpu_s_per_written);
  }
  std::printf(" -> %s\n", t.keeps_up() ? "keeps up" : "falls behind");
  std::fflush(stdout);
}

Json trial_json(const Trial& t) {
  return {{"streams", t.streams},
          {"wall_s", t.wall_s},
          {"core_per_stream", t.core_per_stream},
          {"core_per_stream_by_role", t.role_core_per_stream},
          {"slowest_camera", t.slowest_camera},
          {"slowest_analysed_fps", t.slowest_fps},
          {"target_fps", t.target_fps},
          {"frames_dropped", t.frames_dropped},
          {"dropped_share", t.dropped_share},
          {"rss_mib", t.rss_mib},
          {"rss_mib_per_stream", t.rss_mib_per_stream},
          {"alerts", t.alerts},
          {"alerts_by_type", t.alerts_by_type},
          {"evidence_cpu_s_per_alert", t.evidence_cpu_s_per_alert},
          {"warmup_alerts", t.warmup_alerts},
          {"first_alert_s", t.first_alert_s},
          {"last_alert_s", t.last_alert_s},
          {"evidence_written", t.evidence_written},
          {"evidence_failed", t.evidence_failed},
          {"evidence_cpu_s_per_written", t.evidence_cpu_s_per_written},
          {"keeps_up", t.keeps_up()}};
}

// The most streams that keep up: doubling from a few, then halving the interval between
// the last that kept up and the first that did not.
Result<std::vector<Trial>> find_max(const config::CameraConfig& camera, const CapacityOptions& o,
                                    const fs::path& root, const DecodeCost& decode) {
  std::vector<Trial> trials;
  auto attempt = [&](int n) -> Result<bool> {
    VIGIE_ASSIGN_OR_RETURN(const Trial t, run_trial(camera, n, o, root));
    print_trial(t, decode);
    trials.push_back(t);
    return t.keeps_up();
  };
  int good = 0;
  int bad = 0;
  for (int n = 2; n <= 512; n *= 2) {
    VIGIE_ASSIGN_OR_RETURN(const bool kept_up, attempt(n));
    if (!kept_up) {
      bad = n;
      break;
    }
    good = n;
  }
  if (bad == 0) return trials;  // never fell behind up to the cap
  while (bad - good > std::max(1, good / 16)) {
    const int mid = (good + bad) / 2;
    VIGIE_ASSIGN_OR_RETURN(const bool kept_up, attempt(mid));
    (kept_up ? good : bad) = mid;
  }
  return trials;
}

}  // namespace

void add_capacity_options(CLI::App& command, CapacityOptions& o) {
  command.add_option("--source", o.source,
                     "Video file (looped) or URL every camera reads; default: the made source");
  command.add_option("--camera", o.camera,
                     "Camera file for the geometry (default: camera.yaml beside a file source)")
      ->check(CLI::ExistingFile);
  command.add_option("--make-source", o.make_source,
                     "Render a realistic source into this folder first: a plaza at 1280x720, "
                     "25 fps, sensor noise, 2 Mbit/s, a keyframe every 2 s, no B-frames");
  auto* streams = command.add_option("--streams", o.streams, "Cameras")
                      ->check(CLI::Range(1, 1000));
  command.add_flag("--find-max", o.find_max,
                   "Search the most cameras that all keep >= 95 % of their analysis rate with "
                   "< 1 % of frames dropped")
      ->excludes(streams);
  command.add_option("--warmup", o.warmup_s, "Seconds run before measuring, per trial")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  command.add_option("--duration", o.duration_s, "Seconds measured, per trial")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto* alerts =
      command.add_flag("--alerts", o.alerts,
                       "Intrusion over the whole image, so that alerts and their evidence happen "
                       "(default: a place where nobody walks)");
  command
      .add_option("--alert-zones", o.alert_zones,
                  "With --alerts: cut the image into this many bands, each watched by its own "
                  "intrusion rule and raising its own alert, for a burst of alerts")
      ->check(CLI::Range(1, 64))
      ->needs(alerts)
      ->capture_default_str();
  command.add_option("--json", o.json, "Also write the figures to this file");
  command.add_option("--dir", o.dir, "Folder for the temporary store")->capture_default_str();
}

int bench_capacity(const CapacityOptions& o) {
  std::string source = o.source;
  if (!o.make_source.empty()) {
    synth::RenderOptions render;
    render.width = kSourceWidth;
    render.height = kSourceHeight;
    render.duration_s = kSourceSeconds;
    render.bitrate_kbps = kSourceKbps;
    std::printf("bench: rendering the source into %s\n", o.make_source.c_str());
    std::fflush(stdout);
    auto made = synth::render_scenario("normal", 1, o.make_source, render);
    if (!made.is_ok()) {
      std::fprintf(stderr, "bench: %s\n", made.status().to_string().c_str());
      return 1;
    }
    if (source.empty()) source = (fs::path(o.make_source) / "video.mp4").string();
    if (o.streams == 0 && !o.find_max) {
      std::printf("bench: source ready: %s\n", source.c_str());
      return 0;
    }
  }
  if (source.empty()) {
    std::fprintf(stderr, "bench capacity: give --source FILE|URL or --make-source DIR\n");
    return 2;
  }
  if (o.streams == 0 && !o.find_max) {
    std::fprintf(stderr, "bench capacity: give --streams N or --find-max\n");
    return 2;
  }

  // The decode-only floor first, alone on the machine, with the cameras' decoder options.
  config::CameraConfig probe_camera;
  probe_camera.url = source;
  auto probe = measure_decode_only(probe_camera, 1.0);
  if (!probe.is_ok()) {
    std::fprintf(stderr, "bench: cannot read the source: %s\n",
                 probe.status().to_string().c_str());
    return 1;
  }
  auto camera = bench_camera(o, source, *probe);
  if (!camera.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", camera.status().to_string().c_str());
    return 2;
  }
  auto decode = measure_decode_only(*camera, std::min(o.duration_s, 30.0));
  if (!decode.is_ok()) {
    std::fprintf(stderr, "bench: %s\n", decode.status().to_string().c_str());
    return 1;
  }
  std::printf("source %dx%d; decode only (libav, same decoder options): %.3f core per stream, "
              "%.0f streams per core\n",
              decode->width, decode->height, decode->core_per_stream(),
              1.0 / std::max(1e-9, decode->core_per_stream()));
  std::printf("rules:");
  for (const auto& r : camera->rules) std::printf(" %s", std::string(to_string(r.type())).c_str());
  std::printf("; analysis %.1f fps at %d px; %.0f s warm-up, %.0f s measured per trial\n",
              camera->analysis.fps, camera->analysis.width, o.warmup_s, o.duration_s);
  std::fflush(stdout);

  const fs::path root = fs::absolute(o.dir);
  std::vector<Trial> trials;
  if (o.find_max) {
    auto all = find_max(*camera, o, root, *decode);
    if (!all.is_ok()) {
      std::fprintf(stderr, "bench: %s\n", all.status().to_string().c_str());
      return 1;
    }
    trials = *all;
  } else {
    auto t = run_trial(*camera, o.streams, o, root);
    if (!t.is_ok()) {
      std::fprintf(stderr, "bench: %s\n", t.status().to_string().c_str());
      return 1;
    }
    print_trial(*t, *decode);
    trials.push_back(*t);
  }

  int max_streams = 0;
  for (const auto& t : trials) {
    if (t.keeps_up()) max_streams = std::max(max_streams, t.streams);
  }
  if (o.find_max) {
    std::printf("most streams kept at their rate: %d on %u hardware threads\n", max_streams,
                std::thread::hardware_concurrency());
  }
  if (!o.json.empty()) {
    Json out = {{"source", source},
                {"width", decode->width},
                {"height", decode->height},
                {"hardware_threads", std::thread::hardware_concurrency()},
                {"decode_only_core_per_stream", decode->core_per_stream()},
                {"warmup_s", o.warmup_s},
                {"duration_s", o.duration_s},
                {"alerts", o.alerts},
                {"alert_zones", o.alert_zones},
                {"max_streams_kept_up", max_streams},
                {"trials", Json::array()}};
    for (const auto& t : trials) out["trials"].push_back(trial_json(t));
    std::ofstream(o.json) << out.dump(2) << "\n";
  }
  return 0;
}

}  // namespace vigie::cli
