#include "engine/node.hpp"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <limits>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <opencv2/imgcodecs.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "alerts/retention.hpp"
#include "api/api_server.hpp"
#include "api/views.hpp"
#include "config/loader.hpp"
#include "config/to_json.hpp"
#include "core/log.hpp"
#include "core/process_usage.hpp"
#include "engine/node_metrics.hpp"
#include "evidence/evidence_writer.hpp"
#include "evidence/overlay.hpp"
#include "evidence/person_history.hpp"
#include "evidence/sweep.hpp"
#include "publish/publisher.hpp"

namespace vigie::engine {
namespace fs = std::filesystem;
namespace {

// Rendered unmasked views are short-lived copies: deleted after this long.
constexpr double kUnmaskedKeepS = 600;

nlohmann::json status_json(const CameraStatus& s) {
  return {{"camera", s.id},
          {"name", s.name},
          {"state", to_string(s.health.state)},
          {"reason", s.health.reason},
          {"analysing", s.analysing},
          {"not_analysed_reason", s.not_analysed_reason},
          {"fps", s.analysed_fps},
          {"analysis_ms", s.analysis_ms},
          {"reconnects", s.health.reconnects},
          {"frames_dropped", s.health.frames_dropped}};
}

}  // namespace

struct Node::Impl {
  config::Config config;
  NodeOptions options;
  const Clock& clock;
  fs::path evidence_root;

  std::unique_ptr<storage::Store> store;
  std::unique_ptr<govern::Governance> governance;
  std::unique_ptr<alerts::AlertService> alerts;
  std::unique_ptr<govern::UserDirectory> users;
  std::unique_ptr<evidence::EvidenceWriter> writer;
  std::unique_ptr<publish::PublisherSet> publishers;
  std::unique_ptr<alerts::RetentionJob> retention;
  std::unique_ptr<api::ApiServer> api;
  std::unique_ptr<Engine> engine;
  std::map<CameraId, std::unique_ptr<evidence::PersonHistory>> persons;
  std::map<CameraId, const config::CameraConfig*> cameras;

  // The latest analysed frame of each camera, for the console's camera wall (encoded, with
  // persons pixelated and privacy masks burned in, only when asked for).
  struct LatestFrame {
    std::mutex mutex;
    cv::Mat bgr;
    evidence::TimedBoxes boxes;       // what to hide in bgr, source pixels
    evidence::TimedBoxes next_boxes;  // of the frame being analysed
    int source_width = 0;
    int source_height = 0;
  };
  std::map<CameraId, std::unique_ptr<LatestFrame>> latest;
  std::mutex geometry_mutex;  // one geometry change at a time
  std::mutex cpu_mutex;
  double cpu_last_s = 0;
  std::chrono::steady_clock::time_point cpu_last_at = std::chrono::steady_clock::now();
  double cpu_cores = 0;
  const std::chrono::steady_clock::time_point opened_at = std::chrono::steady_clock::now();

  // Work the services thread does: evidence once its window has passed, reports the store
  // refused (retried: a rule's alert is never dropped), camera status for integrators.
  struct PendingEvidence {
    std::int64_t alert_id = 0;
    Alert alert;
    SteadyTime due;
  };
  std::mutex mutex;
  std::condition_variable wake;
  bool stopping = false;
  std::deque<PendingEvidence> pending;
  std::deque<std::tuple<Alert, AlertChange, bool>> retry;
  std::thread services;
  std::map<CameraId, std::string> last_status;  // what was last published per camera
  std::int64_t last_published_head = 0;          // seq of the journal head last published

  std::atomic<std::uint64_t> reported{0};
  std::atomic<std::uint64_t> evidence_written{0};
  std::atomic<std::uint64_t> evidence_failed{0};
  ThrottledLog store_errors;
  int alert_listener = 0;
  bool started = false;
  bool stopped = false;

  Impl(const config::Config& c, NodeOptions o)
      : config(c),
        options(std::move(o)),
        clock(options.clock != nullptr ? *options.clock : SystemClock::instance()),
        store_errors("store", clock) {}

  void on_alert(const Alert& alert, AlertChange change) {
    auto camera = cameras.find(alert.camera);
    const bool calibration = camera != cameras.end() && camera->second->calibration_mode;
    auto stored = alerts->report(alert, change, calibration);
    if (!stored.is_ok()) {
      store_errors.warn("alert " + alert.id + " not stored yet, will retry: " +
                        stored.status().to_string());
      std::lock_guard lock(mutex);
      retry.emplace_back(alert, change, calibration);
      return;
    }
    ++reported;
    // Shown only once stored and journaled: what an operator sees is never lost.
    if (options.also_on_alert) options.also_on_alert(alert, change);
    if (change == AlertChange::kRaised) schedule_evidence(stored->id, alert);
  }

  void schedule_evidence(std::int64_t id, const Alert& alert) {
    std::lock_guard lock(mutex);
    const double wait_s = config.alerts.evidence_after_s + 1.0;
    pending.push_back({id, alert, clock.now() + std::chrono::duration_cast<SteadyTime::duration>(
                                                    Seconds(wait_s))});
    wake.notify_all();
  }

  std::vector<Point> zone_outline(const config::CameraConfig& c, const std::string& zone) const {
    for (const auto& z : c.zones) {
      if (z.id == zone) return z.polygon;
    }
    for (const auto& l : c.lines) {
      if (l.id == zone) return {l.a, l.b};
    }
    return {};
  }

  void cut_evidence(const PendingEvidence& p) {
    // The geometry in force now (it may have been changed from the console).
    const auto camera = engine->camera_config(p.alert.camera);
    const ingest::PacketRing* ring = engine->ring(p.alert.camera);
    if (!camera || ring == nullptr) {
      note_missing_evidence(p.alert_id, "the camera was no longer analysed");
      return;
    }
    const double from = p.alert.start_s - config.alerts.evidence_before_s;
    const double to = p.alert.start_s + config.alerts.evidence_after_s;
    evidence::EvidenceRequest request;
    request.alert = p.alert;
    // Stored under the store's id: unique across restarts, unlike the pipeline's.
    request.alert.id = std::to_string(p.alert_id);
    request.zone = zone_outline(*camera, p.alert.zone);
    request.privacy_masks = camera->privacy_masks;
    request.clip = ring->snapshot(from, to);
    request.persons = persons.at(p.alert.camera)->between(from, to);
    const std::int64_t alert_id = p.alert_id;
    const std::string camera_id = p.alert.camera;
    writer->submit(std::move(request), [this, alert_id, camera_id](
                                           Result<std::vector<evidence::EvidenceFile>> files) {
      if (!files.is_ok()) {
        ++evidence_failed;
        spdlog::warn("camera {}: evidence of alert {} not written: {}", camera_id, alert_id,
                     files.status().to_string());
        note_missing_evidence(alert_id, files.status().message());
        return;
      }
      std::vector<storage::EvidenceRecord> records;
      for (const auto& f : *files) {
        storage::EvidenceRecord r;
        r.kind = std::string(evidence::to_string(f.kind));
        r.masked = f.masked;
        r.path = fs::relative(f.path, evidence_root).generic_string();
        r.sha256 = f.sha256;
        r.bytes = f.bytes;
        r.from_s = f.from_s;
        r.to_s = f.to_s;
        records.push_back(std::move(r));
      }
      if (Status s = alerts->add_evidence(alert_id, records); !s.is_ok()) {
        ++evidence_failed;
        spdlog::error("evidence of alert {} written but not recorded: {}", alert_id,
                      s.to_string());
        note_missing_evidence(alert_id, "written but not recorded: " + s.message());
        return;
      }
      ++evidence_written;
    });
  }

  // An alert without evidence says why, in the store and the journal. When even that cannot
  // be written (the disk is full), the next start finds the alert without evidence and says
  // it then.
  void note_missing_evidence(std::int64_t alert_id, const std::string& why) {
    auto noted = alerts->evidence_missing(alert_id, why);
    if (!noted.is_ok()) {
      spdlog::error("alert {}: cannot record that its evidence is missing ({}): {}", alert_id,
                    why, noted.status().to_string());
    }
  }

  // What the previous run could not finish: situations it followed are ended, and alerts it
  // raised without writing their evidence say so. `since_ms`: that run's start (0: none).
  Status recover_previous_run(storage::TimeMs since_ms) {
    // A database shared with other nodes holds their open alerts too: this node recovers only
    // those of its own cameras.
    std::optional<std::set<CameraId>> own;
    if (config.storage.backend == config::StorageBackend::kPostgres) {
      own.emplace();
      for (const auto& c : config.cameras) own->insert(c.id);
    }
    auto ended =
        alerts->end_unfollowed("the node stopped while the situation was followed", own);
    if (!ended.is_ok()) return ended.status();
    if (*ended > 0) spdlog::warn("{} alert(s) left open by the previous run ended", *ended);
    if (since_ms == 0) return Status::ok();
    storage::AlertQuery raised;
    // Older evidence may have been deleted by retention since: its absence says nothing.
    const storage::TimeMs retained_from =
        wall_ms() - storage::TimeMs{config.storage.evidence_days} * 24 * 3600 * 1000;
    raised.from_ms = std::max(since_ms, retained_from);
    raised.include_calibration = true;
    raised.limit = 100'000;
    auto recent = store->alerts(raised);
    if (!recent.is_ok()) return recent.status();
    for (const auto& a : *recent) {
      if (!a.evidence_note.empty() || (own && own->count(a.camera) == 0)) continue;
      auto files = store->evidence(a.id);
      if (!files.is_ok()) return files.status();
      if (!files->empty()) continue;
      auto noted = alerts->evidence_missing(a.id, "the node stopped before it was written");
      if (!noted.is_ok()) return noted.status();
    }
    return Status::ok();
  }

  Result<fs::path> evidence_file(const storage::EvidenceRecord& record, bool unmasked) {
    if (!unmasked) return evidence_root / record.path;
    if (record.kind == "raw") return invalid_argument("the raw clip is never served");
    auto stored_alert = store->alert(record.alert_id);
    if (!stored_alert.is_ok()) return stored_alert.status();
    if (!*stored_alert) return not_found("no alert " + std::to_string(record.alert_id));
    auto files = store->evidence(record.alert_id);
    if (!files.is_ok()) return files.status();
    const storage::EvidenceRecord* raw = nullptr;
    for (const auto& f : *files) {
      if (f.kind == "raw") raw = &f;
    }
    if (raw == nullptr) return not_found("alert has no raw clip to render from");
    const auto& a = **stored_alert;
    evidence::UnmaskedRequest request;
    request.alert.id = std::to_string(a.id);
    request.alert.type = a.type;
    request.alert.camera = a.camera;
    request.alert.zone = a.zone;
    request.alert.start_s = a.start_s;
    if (a.region.size() == 4) request.alert.region = {a.region[0], a.region[1], a.region[2], a.region[3]};
    if (auto c = engine->camera_config(a.camera)) {
      request.zone = zone_outline(*c, a.zone);
      request.privacy_masks = c->privacy_masks;
    }
    request.raw_clip = evidence_root / raw->path;
    request.raw_from_s = raw->from_s;
    const bool snapshot = record.kind == "snapshot";
    static std::atomic<std::uint64_t> counter{0};
    const fs::path out = evidence_root / ".unmasked" /
                         fmt::format("{}-{}-{}.{}", a.id, record.id, ++counter,
                                     snapshot ? "jpg" : "mp4");
    std::error_code ec;
    fs::create_directories(out.parent_path(), ec);
    auto rendered = evidence::render_unmasked(
        request, snapshot ? evidence::EvidenceKind::kSnapshot : evidence::EvidenceKind::kClip,
        out, writer->options());
    if (!rendered.is_ok()) return rendered.status();
    return rendered->path;
  }

  // Files a crash left in the evidence folder that no record lists (an interrupted write's
  // temporary files, which may hold unmasked video; files renamed but never recorded):
  // retention would never delete them. Removed before anything writes there, and journaled.
  Status remove_unlisted_evidence() {
    auto records = store->evidence_before(std::numeric_limits<storage::TimeMs>::max());
    if (!records.is_ok()) return records.status();
    std::set<std::string> listed;
    for (const auto& r : *records) listed.insert(r.path);
    auto swept = evidence::remove_unlisted(evidence_root, listed);
    if (!swept.is_ok()) return swept.status();
    for (const auto& f : swept->failed) spdlog::error("evidence: cannot remove {}", f);
    if (swept->removed.empty()) return Status::ok();
    spdlog::warn("evidence: removed {} file(s) no record lists, left by an interrupted run",
                 swept->removed.size());
    return store->write([&](storage::Tx& tx) -> Status {
      auto j = tx.journal({wall_ms(), "system", "evidence.unlisted_removed",
                           {{"files", swept->removed}, {"failed", swept->failed}}});
      return j.is_ok() ? Status::ok() : j.status();
    });
  }

  void forget_unmasked() {
    std::error_code ec;
    const fs::path dir = evidence_root / ".unmasked";
    if (!fs::exists(dir, ec)) return;
    const auto now = fs::file_time_type::clock::now();
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const auto age = now - entry.last_write_time(ec);
      if (!ec && std::chrono::duration<double>(age).count() > kUnmaskedKeepS) {
        fs::remove(entry.path(), ec);
      }
    }
  }

  // The journal's head, for integrators to keep: a journal whose end is removed later no
  // longer reaches a head seen outside (vigie journal verify --expect-head).
  void publish_journal_head() {
    if (!publishers || publishers->size() == 0) return;
    auto head = store->journal_head();
    if (!head.is_ok() || !*head || (*head)->seq == last_published_head) return;
    last_published_head = (*head)->seq;
    publishers->publish_journal_head(
        {{"seq", (*head)->seq}, {"hash", (*head)->hash}, {"at_ms", (*head)->at_ms}});
  }

  void publish_statuses() {
    if (!publishers || publishers->size() == 0) return;
    for (const auto& s : engine->status()) {
      nlohmann::json j = status_json(s);
      // Published when something an integrator acts on changed, not every fps wobble.
      const std::string key = fmt::format("{}|{}|{}|{}", j["state"].get<std::string>(),
                                          s.health.reason, s.analysing, s.not_analysed_reason);
      if (last_status[s.id] == key) continue;
      last_status[s.id] = key;
      publishers->publish_status(s.id, j);
    }
  }

  void run_services() {
    std::unique_lock lock(mutex);
    auto next_status = clock.now();
    auto next_cleanup = clock.now();
    while (!stopping) {
      wake.wait_for(lock, std::chrono::milliseconds(200));
      const auto now = clock.now();
      std::vector<PendingEvidence> due;
      while (!pending.empty() && pending.front().due <= now) {
        due.push_back(std::move(pending.front()));
        pending.pop_front();
      }
      auto retrying = std::move(retry);
      retry.clear();
      lock.unlock();
      for (auto& [alert, change, calibration] : retrying) {
        auto stored = alerts->report(alert, change, calibration);
        if (!stored.is_ok()) {
          std::lock_guard again(mutex);
          retry.emplace_back(alert, change, calibration);
          continue;
        }
        ++reported;
        if (change == AlertChange::kRaised) schedule_evidence(stored->id, alert);
      }
      for (const auto& p : due) cut_evidence(p);
      if (now >= next_status) {
        publish_statuses();
        publish_journal_head();
        next_status = now + std::chrono::seconds(1);
      }
      if (now >= next_cleanup) {
        forget_unmasked();
        next_cleanup = now + std::chrono::seconds(60);
      }
      lock.lock();
    }
  }

  void write_metrics(PrometheusText& out) const {
    write_node_metrics(out, {*engine, writer->counters(), reported.load(),
                             publishers && publishers->size() > 0 ? publishers.get() : nullptr});
  }

  void keep_frame(const CameraId& camera, const Frame& f) {
    auto it = latest.find(camera);
    if (it == latest.end()) return;
    LatestFrame& l = *it->second;
    std::lock_guard lock(l.mutex);
    f.bgr.copyTo(l.bgr);
    l.boxes = l.next_boxes;
    l.source_width = f.source_width;
    l.source_height = f.source_height;
  }

  void keep_boxes(const CameraId& camera, const evidence::TimedBoxes& boxes) {
    auto it = latest.find(camera);
    if (it == latest.end()) return;
    std::lock_guard lock(it->second->mutex);
    it->second->next_boxes = boxes;
  }

  Result<std::string> frame_jpeg(const CameraId& id) {
    auto it = latest.find(id);
    if (it == latest.end()) return not_found("no camera '" + id + "'");
    // Only what is analysed now is shown: a stop or the end of a permit hides the wall too.
    const govern::Permit permit = governance->permit(id);
    if (!permit.analyse) {
      return Status(StatusCode::kFailedPrecondition, "not analysed: " + permit.why_not);
    }
    cv::Mat image;
    evidence::TimedBoxes boxes;
    int source_width = 0;
    {
      std::lock_guard lock(it->second->mutex);
      if (it->second->bgr.empty()) return unavailable("no frame analysed yet");
      image = it->second->bgr.clone();
      boxes = it->second->boxes;
      source_width = it->second->source_width;
    }
    // Boxes and masks are in source pixels; the kept frame is the analysis image.
    const double k = source_width > 0 ? image.cols / static_cast<double>(source_width) : 1.0;
    auto scale = [k](std::vector<cv::Rect2d> rects) {
      for (auto& b : rects) b = cv::Rect2d(b.x * k, b.y * k, b.width * k, b.height * k);
      return rects;
    };
    // No alert here, so no subject stays readable: everything that may be a person is hidden.
    evidence::apply_privacy(image, {scale(boxes.boxes), scale(boxes.persons), {}});
    std::vector<std::vector<Point>> masks;
    if (auto c = engine->camera_config(id)) masks = c->privacy_masks;
    for (auto& m : masks) {
      for (auto& pt : m) pt *= k;
    }
    evidence::burn_privacy_masks(image, masks);
    std::vector<unsigned char> jpeg;
    if (!cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80})) {
      return internal_error("cannot encode the frame");
    }
    return std::string(jpeg.begin(), jpeg.end());
  }

  storage::TimeMs wall_ms() const {
    return unix_ms(clock.wall_now());
  }

  Result<nlohmann::json> geometry(const CameraId& id) {
    auto c = engine->camera_config(id);
    if (!c) return not_found("no camera '" + id + "'");
    nlohmann::json j = config::geometry_json(*c);
    j["camera"] = id;
    j["source_width"] = nullptr;
    j["source_height"] = nullptr;
    if (auto it = latest.find(id); it != latest.end()) {
      std::lock_guard lock(it->second->mutex);
      if (it->second->source_width > 0) {
        j["source_width"] = it->second->source_width;
        j["source_height"] = it->second->source_height;
      }
    }
    j["updated_ms"] = nullptr;
    j["updated_by"] = nullptr;
    auto saved = store->camera_geometries();
    if (!saved.is_ok()) return saved.status();
    for (const auto& g : *saved) {
      if (g.camera != id) continue;
      j["updated_ms"] = g.updated_ms;
      j["updated_by"] = g.updated_by;
    }
    return j;
  }

  api::GeometryChange set_geometry(const CameraId& id, const nlohmann::json& geometry,
                                   const std::string& user, bool dry_run) {
    api::GeometryChange change;
    std::lock_guard lock(geometry_mutex);
    auto current = engine->camera_config(id);
    if (!current) {
      change.status = not_found("no camera '" + id + "'");
      return change;
    }
    change.before = config::geometry_json(*current);
    auto checked = config::with_geometry(*current, geometry.dump());
    if (!checked.ok()) {
      for (const auto& e : checked.errors) change.errors.push_back({e.path, e.message});
      change.status = invalid_argument("the geometry is not valid");
      return change;
    }
    change.after = config::geometry_json(*checked.camera);
    if (dry_run) return change;
    change.status = store->write([&](storage::Tx& tx) -> Status {
      storage::CameraGeometryRecord record{id, change.after.dump(), wall_ms(), user};
      if (Status s = tx.put_camera_geometry(record); !s.is_ok()) return s;
      auto j = tx.journal({record.updated_ms, user, "camera.geometry_changed",
                           {{"camera", id}, {"before", change.before}, {"after", change.after}}});
      return j.is_ok() ? Status::ok() : j.status();
    });
    if (!change.status.is_ok()) return change;
    // Stored and journaled first: the running camera then follows from its next frame.
    change.status = engine->update_camera(*checked.camera);
    return change;
  }

  nlohmann::json system_json() {
    const ProcessUsage usage = read_process_usage();
    const double cpu_s = usage.cpu_s;
    const auto now = std::chrono::steady_clock::now();
    double cores_used = 0;
    {
      std::lock_guard lock(cpu_mutex);
      const double dt = std::chrono::duration<double>(now - cpu_last_at).count();
      // Measured over at least a second between two requests (a single reading says nothing).
      if (dt >= 1.0) {
        cpu_cores = (cpu_s - cpu_last_s) / dt;
        cpu_last_s = cpu_s;
        cpu_last_at = now;
      }
      cores_used = cpu_cores;
    }
    const unsigned cores = std::max(1U, std::thread::hardware_concurrency());
    const auto w = writer->counters();
    std::size_t retrying = 0;
    {
      std::lock_guard lock(mutex);
      retrying = retry.size();
    }
    return {{"cpu_cores_used", cores_used},
            {"cpu_share", cores_used / cores},
            {"cores", cores},
            {"cpu_seconds", cpu_s},
            {"rss_bytes", usage.resident_bytes},
            {"uptime_s", std::chrono::duration<double>(now - opened_at).count()},
            {"evidence_queue", w.queued},
            {"evidence_written", w.written},
            {"evidence_dropped", w.dropped + w.failed},
            {"alerts_reported", reported.load()},
            {"alerts_retrying", retrying}};
  }

  std::vector<api::CameraView> camera_views() const {
    std::vector<api::CameraView> out;
    for (const auto& s : engine->status()) {
      api::CameraView v;
      v.id = s.id;
      v.name = s.name;
      v.health = s.health;
      v.analysed_fps = s.analysed_fps;
      v.analysis_ms = s.analysis_ms;
      if (auto c = cameras.find(s.id); c != cameras.end()) v.target_fps = c->second->analysis.fps;
      if (auto c = cameras.find(s.id); c != cameras.end()) v.calibration = c->second->calibration_mode;
      out.push_back(std::move(v));
    }
    return out;
  }
};

Result<std::unique_ptr<Node>> Node::open(const config::Config& config, NodeOptions options) {
  auto impl = std::make_unique<Impl>(config, std::move(options));
  Impl& n = *impl;
  for (const auto& c : n.config.cameras) n.cameras[c.id] = &c;
  // Everything the node writes (journal, evidence, the outbox) is its own: unmasked video
  // and alerts are for no other account on the machine, whatever the data folder's mode.
  ::umask(077);

  auto store = storage::make_store(n.config.storage);
  if (!store.is_ok()) return store.status();
  n.store = std::move(*store);
  // Geometry changed from the console replaces the configuration's, as long as it still fits
  // the configured camera (its rules may have changed since).
  auto saved_geometry = n.store->camera_geometries();
  if (!saved_geometry.is_ok()) return saved_geometry.status();
  for (const auto& g : *saved_geometry) {
    for (auto& c : n.config.cameras) {
      if (c.id != g.camera) continue;
      auto applied = config::with_geometry(c, g.json);
      if (!applied.ok()) {
        spdlog::warn("camera {}: the geometry saved from the console no longer fits the "
                     "configuration, which is used instead: {}",
                     c.id, applied.error_text("geometry"));
        continue;
      }
      c = std::move(*applied.camera);
      spdlog::info("camera {}: geometry from the console (changed by {})", c.id, g.updated_by);
    }
  }
  auto governance = govern::Governance::open(*n.store, n.clock, n.config.authorizations);
  if (!governance.is_ok()) return governance.status();
  n.governance = std::move(*governance);
  alerts::AlertServiceOptions alert_options;
  alert_options.reason_codes = n.config.alerts.reason_codes;
  alert_options.update_interval_s = n.config.alerts.update_interval_s;
  alert_options.verdict_undo_s = n.config.alerts.verdict_undo_s;
  alert_options.measures = n.config.alerts.measures;
  n.alerts = std::make_unique<alerts::AlertService>(*n.store, n.clock, alert_options);
  n.users = std::make_unique<govern::UserDirectory>(*n.store, n.clock, n.options.hash_cost);
  if (!n.config.api.admin_user.empty()) {
    auto created = n.users->ensure_admin(n.config.api.admin_user, n.config.api.admin_password);
    if (!created.is_ok()) return created.status();
  }

  n.evidence_root = fs::path(n.config.storage.data_dir) / "evidence";
  std::error_code ec;
  fs::create_directories(n.evidence_root, ec);
  if (ec) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot create " + n.evidence_root.string() + ": " + ec.message());
  }
  fs::permissions(n.evidence_root, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (Status s = n.remove_unlisted_evidence(); !s.is_ok()) return s;
  evidence::EvidenceOptions evidence_options;
  evidence_options.clip_before_s = n.config.alerts.evidence_before_s;
  evidence_options.clip_after_s = n.config.alerts.evidence_after_s;
  n.writer = std::make_unique<evidence::EvidenceWriter>(n.evidence_root, evidence_options);

  auto publishers =
      publish::make_publishers(n.config, fs::path(n.config.storage.data_dir) / "outbox");
  if (!publishers.is_ok()) return publishers.status();
  n.publishers = std::move(*publishers);
  n.retention = std::make_unique<alerts::RetentionJob>(
      *n.store, n.evidence_root, n.clock, alerts::RetentionPolicy::from(n.config.storage));

  for (const auto& c : n.config.cameras) {
    // Longer than any evidence window, so the clip's persons are all known.
    n.persons[c.id] = std::make_unique<evidence::PersonHistory>(
        n.config.alerts.evidence_before_s + n.config.alerts.evidence_after_s + 10);
    n.latest[c.id] = std::make_unique<Impl::LatestFrame>();
  }

  EngineOptions eo;
  eo.make_source = n.options.make_source ? n.options.make_source : ingest::make_source;
  eo.workers = n.options.workers;
  eo.pacing = n.options.pacing;
  eo.clock = &n.clock;
  eo.on_alert = [&n](const Alert& a, AlertChange c) { n.on_alert(a, c); };
  eo.permit = [&n](const CameraId& camera) { return n.governance->permit(camera); };
  eo.on_persons = [&n](const CameraId& camera, const evidence::TimedBoxes& boxes) {
    n.persons.at(camera)->add(boxes);
    n.keep_boxes(camera, boxes);
  };
  eo.on_frame = [&n](const config::CameraConfig& c, const Frame& f) { n.keep_frame(c.id, f); };
  n.engine = std::make_unique<Engine>(n.config, std::move(eo));

  if (n.publishers->size() > 0) {
    n.alert_listener = n.alerts->subscribe([&n](const alerts::AlertEvent& e) {
      // Integrators act on alerts: calibration alerts stay inside the node.
      if (e.alert.calibration) return;
      nlohmann::json j = api::alert_json(e.alert);
      j["event"] = e.action;
      j["seq"] = e.seq;
      n.publishers->publish_alert(e.alert.camera, j);
    });
  }

  if (n.options.serve_api) {
    std::vector<api::PublicCamera> public_cameras;
    for (const auto& c : n.config.cameras) {
      // Only names are public: a camera without one is shown as "-", never by its id.
      public_cameras.push_back({c.id, c.name});
    }
    api::ApiDeps deps{*n.store,
                      *n.alerts,
                      *n.governance,
                      *n.users,
                      n.clock,
                      [&n] { return n.camera_views(); },
                      [&n](PrometheusText& out) { n.write_metrics(out); },
                      n.evidence_root,
                      [&n](const storage::EvidenceRecord& r, bool unmasked) {
                        return n.evidence_file(r, unmasked);
                      },
                      public_cameras,
                      [&n](const CameraId& id) { return n.frame_jpeg(id); },
                      [&n](const CameraId& id) { return n.geometry(id); },
                      [&n](const CameraId& id, const nlohmann::json& g, const std::string& user,
                           bool dry_run) { return n.set_geometry(id, g, user, dry_run); },
                      [&n] { return n.system_json(); }};
    deps.console = n.config.console;
    n.api = std::make_unique<api::ApiServer>(std::move(deps), n.config.api);
  }
  return std::unique_ptr<Node>(new Node(std::move(impl)));
}

Node::Node(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Node::~Node() {
  stop();
}

Status Node::start() {
  Impl& n = *impl_;
  if (n.started) return Status::ok();
  n.started = true;
  if (n.api) {
    if (Status s = n.api->start(); !s.is_ok()) return s;
  }
  n.retention->start();
  n.services = std::thread([&n] {
    name_this_thread("vigie-services");
    n.run_services();
  });
  // A configuration that differs from the one the node last started with is a change the
  // evaluators must see: journaled with both versions.
  const std::string version = config::config_version(n.config);
  std::string previous;
  storage::TimeMs previous_start_ms = 0;
  storage::JournalQuery last_start;
  last_start.action_prefix = "node.started";
  last_start.limit = 1'000'000;
  if (auto starts = n.store->journal(last_start); starts.is_ok() && !starts->empty()) {
    previous = starts->back().detail.value("config_version", "");
    previous_start_ms = starts->back().at_ms;
  }
  if (Status s = n.recover_previous_run(previous_start_ms); !s.is_ok()) return s;
  // The head as this start found it: a journal whose end was cut while the node was down
  // does not lead to the head the previous run published (MQTT, the API).
  nlohmann::json previous_head = nullptr;
  if (auto head = n.store->journal_head(); head.is_ok() && *head) {
    previous_head = {{"seq", (*head)->seq}, {"hash", (*head)->hash}};
  }
  const storage::TimeMs now = n.wall_ms();
  Status s = n.store->write([&](storage::Tx& tx) -> Status {
    if (!previous.empty() && previous != version) {
      auto c = tx.journal({now, "config", "config.changed",
                           {{"from_version", previous}, {"to_version", version}}});
      if (!c.is_ok()) return c.status();
    }
    nlohmann::json cameras = nlohmann::json::array();
    for (const auto& c : n.config.cameras) cameras.push_back(c.id);
    auto j = tx.journal({now,
                         "system",
                         "node.started",
                         {{"cameras", cameras},
                          {"api_port", api_port()},
                          {"config_version", version},
                          {"previous_head", previous_head}}});
    return j.is_ok() ? Status::ok() : j.status();
  });
  if (!s.is_ok()) return s;
  n.engine->start();
  return Status::ok();
}

void Node::stop() {
  Impl& n = *impl_;
  if (!n.started || n.stopped) return;
  n.stopped = true;
  n.engine->stop();
  {
    std::lock_guard lock(n.mutex);
    n.stopping = true;
  }
  n.wake.notify_all();
  if (n.services.joinable()) n.services.join();
  // Evidence still waiting for its window to pass is not written: the alerts say so.
  for (const auto& p : n.pending) {
    n.note_missing_evidence(p.alert_id, "the node stopped before the evidence window had passed");
  }
  n.pending.clear();
  // Reports the store still refused are logged one by one: the journal cannot hold them.
  for (const auto& [alert, change, calibration] : n.retry) {
    spdlog::error("alert {} ({}) could not be stored", alert.id, to_string(alert.type));
  }
  n.writer->stop(evidence::StopMode::kDrain);
  if (n.alert_listener != 0) n.alerts->unsubscribe(n.alert_listener);
  if (n.publishers) n.publishers->stop();
  if (n.api) n.api->stop();
  n.retention->stop();
  Status s = n.store->write([&](storage::Tx& tx) -> Status {
    auto j = tx.journal({n.wall_ms(), "system", "node.stopped", nlohmann::json::object()});
    return j.is_ok() ? Status::ok() : j.status();
  });
  if (!s.is_ok()) spdlog::error("cannot journal the node's stop: {}", s.to_string());
}

Engine& Node::engine() { return *impl_->engine; }
storage::Store& Node::store() { return *impl_->store; }
alerts::AlertService& Node::alerts() { return *impl_->alerts; }
govern::Governance& Node::governance() { return *impl_->governance; }
govern::UserDirectory& Node::users() { return *impl_->users; }

int Node::api_port() const {
  return impl_->api ? impl_->api->port() : 0;
}

NodeCounters Node::counters() const {
  NodeCounters c;
  c.alerts_reported = impl_->reported;
  {
    std::lock_guard lock(impl_->mutex);
    c.alerts_retrying = impl_->retry.size();
  }
  c.evidence_written = impl_->evidence_written;
  c.evidence_failed = impl_->evidence_failed;
  return c;
}

std::string Node::metrics_text() const {
  PrometheusText out;
  impl_->write_metrics(out);
  return out.text();
}

}  // namespace vigie::engine
