#include "engine/node_impl.hpp"

#include <thread>

#include <opencv2/imgcodecs.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace vigie::engine {
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
          {"frames_dropped", s.health.frames_dropped},
          {"view", s.view.changed ? perceive::to_string(s.view.problem) : "ok"}};
}

}  // namespace

void Node::Impl::on_alert(const Alert& alert, AlertChange change) {
  const auto configured = camera(alert.camera);
  const bool calibration = configured && configured->calibration_mode;
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

void Node::Impl::schedule_evidence(std::int64_t id, const Alert& alert) {
  std::lock_guard lock(mutex);
  const double wait_s = config.alerts.evidence_after_s + 1.0;
  // Due a second or more from now: the services thread, which looks every 200 ms, needs no
  // wake-up.
  pending.push_back(
      {id, alert, clock.now() + std::chrono::duration_cast<SteadyTime::duration>(Seconds(wait_s))});
}

std::vector<Point> Node::Impl::zone_outline(const config::CameraConfig& c, const std::string& zone) const {
  for (const auto& z : c.zones) {
    if (z.id == zone) return z.polygon;
  }
  for (const auto& l : c.lines) {
    if (l.id == zone) return {l.a, l.b};
  }
  return {};
}

void Node::Impl::cut_evidence(const PendingEvidence& p) {
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
  if (const auto* history = person_history(p.alert.camera)) {
    request.persons = history->between(from, to);
  }
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
      r.node = node_id;
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

void Node::Impl::note_missing_evidence(std::int64_t alert_id, const std::string& why) {
  auto noted = alerts->evidence_missing(alert_id, why);
  if (!noted.is_ok()) {
    spdlog::error("alert {}: cannot record that its evidence is missing ({}): {}", alert_id,
                  why, noted.status().to_string());
  }
}

Status Node::Impl::recover_previous_run(storage::TimeMs since_ms) {
  // A database shared with other nodes holds their open alerts too: this node recovers only
  // those of its own cameras.
  // With leases a node owns no camera when it starts: the situations a previous run left
  // open are ended by whichever node takes their camera (on_lease).
  std::optional<std::set<CameraId>> own;
  if (store->shared()) own.emplace();
  VIGIE_ASSIGN_OR_RETURN(
      auto ended, alerts->end_unfollowed("the node stopped while the situation was followed", own));
  if (ended > 0) spdlog::warn("{} alert(s) left open by the previous run ended", ended);
  if (since_ms == 0) return Status::ok();
  storage::AlertQuery raised;
  // Older evidence may have been deleted by retention since: its absence says nothing.
  const storage::TimeMs retained_from =
      wall_ms() - storage::TimeMs{config.storage.evidence_days} * 24 * 3600 * 1000;
  raised.from_ms = std::max(since_ms, retained_from);
  raised.include_calibration = true;
  raised.limit = 100'000;
  VIGIE_ASSIGN_OR_RETURN(auto recent, store->alerts(raised));
  for (const auto& a : recent) {
    if (!a.evidence_note.empty() || (own && own->count(a.camera) == 0)) continue;
    VIGIE_ASSIGN_OR_RETURN(auto files, store->evidence(a.id));
    if (!files.empty()) continue;
    VIGIE_RETURN_IF_ERROR(alerts->evidence_missing(a.id, "the node stopped before it was written"));
  }
  return Status::ok();
}

Result<fs::path> Node::Impl::evidence_file(const storage::EvidenceRecord& record, bool unmasked) {
  if (!unmasked) return evidence_root / record.path;
  if (record.kind == "raw") return invalid_argument("the raw clip is never served");
  VIGIE_ASSIGN_OR_RETURN(auto stored_alert, store->alert(record.alert_id));
  if (!stored_alert) return not_found("no alert " + std::to_string(record.alert_id));
  VIGIE_ASSIGN_OR_RETURN(auto files, store->evidence(record.alert_id));
  const storage::EvidenceRecord* raw = nullptr;
  for (const auto& f : files) {
    if (f.kind == "raw") raw = &f;
  }
  if (raw == nullptr) return not_found("alert has no raw clip to render from");
  const auto& a = *stored_alert;
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
  VIGIE_ASSIGN_OR_RETURN(
      auto rendered,
      evidence::render_unmasked(
          request, snapshot ? evidence::EvidenceKind::kSnapshot : evidence::EvidenceKind::kClip,
          out, writer->options()));
  return rendered.path;
}

Status Node::Impl::remove_unlisted_evidence() {
  VIGIE_ASSIGN_OR_RETURN(auto records,
                         store->evidence_before(std::numeric_limits<storage::TimeMs>::max()));
  std::set<std::string> listed;
  for (const auto& r : records) listed.insert(r.path);
  VIGIE_ASSIGN_OR_RETURN(auto swept, evidence::remove_unlisted(evidence_root, listed));
  for (const auto& f : swept.failed) spdlog::error("evidence: cannot remove {}", f);
  if (swept.removed.empty()) return Status::ok();
  spdlog::warn("evidence: removed {} file(s) no record lists, left by an interrupted run",
               swept.removed.size());
  return store->write([&](storage::Tx& tx) -> Status {
    auto j = tx.journal({wall_ms(),
                         "system",
                         "evidence.unlisted_removed",
                         {{"files", swept.removed}, {"failed", swept.failed}}});
    return j.status();
  });
}

void Node::Impl::forget_unmasked() {
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

void Node::Impl::publish_journal_head() {
  if (!publishers || publishers->size() == 0) return;
  auto head = store->journal_head();
  if (!head.is_ok() || !*head || (*head)->seq == last_published_head) return;
  last_published_head = (*head)->seq;
  publishers->publish_journal_head(
      {{"seq", (*head)->seq}, {"hash", (*head)->hash}, {"at_ms", (*head)->at_ms}});
}

void Node::Impl::publish_statuses() {
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

void Node::Impl::journal_views() {
  std::lock_guard lock(view_mutex);
  for (const auto& s : engine->status()) {
    const std::string now = s.view.changed ? std::string(perceive::to_string(s.view.problem)) : "";
    std::string& was = last_view[s.id];
    // A change of reason while changed (covered, then moved) is the same episode.
    if (now.empty() == was.empty()) {
      was = now;
      continue;
    }
    was = now;
    const bool changed = !now.empty();
    if (changed) {
      spdlog::warn("camera {}: view {}: rules suspended ({})", s.id, now, s.view.detail);
    } else {
      spdlog::info("camera {}: view restored: rules run again", s.id);
    }
    nlohmann::json detail = {{"camera", s.id}};
    if (changed) {
      detail["reason"] = now;
      detail["since_s"] = s.view.since_s;
      detail["measures"] = s.view.detail;
    }
    Status w = store->write([&](storage::Tx& tx) -> Status {
      auto j = tx.journal(
          {wall_ms(), "system", changed ? "camera.view_changed" : "camera.view_restored", detail});
      return j.status();
    });
    if (!w.is_ok()) store_errors.warn("cannot journal a view change: " + w.to_string());
  }
}

Status Node::Impl::accept_view(const CameraId& camera, const std::string& user) {
  std::lock_guard lock(view_mutex);
  VIGIE_ASSIGN_OR_RETURN(auto accepted, engine->accept_view(camera));
  last_view[camera].clear();  // not restored: accepted, journaled here
  spdlog::info("camera {}: changed view ({}) accepted by {}", camera, perceive::to_string(accepted),
               user);
  return store->write([&](storage::Tx& tx) -> Status {
    auto j = tx.journal({wall_ms(),
                         user,
                         "camera.view_accepted",
                         {{"camera", camera}, {"reason", perceive::to_string(accepted)}}});
    return j.status();
  });
}

void Node::Impl::run_services(const std::stop_token& stop) {
  auto next_status = clock.now();
  auto next_cleanup = clock.now();
  while (!stop.stop_requested()) {
    // A stop cuts the wait short, and the pass below still runs once: evidence whose window
    // has passed by then is cut, and the writer drains it.
    sleep_for(stop, std::chrono::milliseconds(200));
    const auto now = clock.now();
    std::vector<PendingEvidence> due;
    std::deque<std::tuple<Alert, AlertChange, bool>> retrying;
    {
      std::lock_guard lock(mutex);
      while (!pending.empty() && pending.front().due <= now) {
        due.push_back(std::move(pending.front()));
        pending.pop_front();
      }
      retrying = std::move(retry);
      retry.clear();
    }
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
      journal_views();
      publish_statuses();
      publish_journal_head();
      next_status = now + std::chrono::seconds(1);
    }
    if (now >= next_cleanup) {
      forget_unmasked();
      next_cleanup = now + std::chrono::seconds(60);
    }
  }
}

void Node::Impl::write_metrics(PrometheusText& out) const {
  write_node_metrics(out, {*engine, writer->counters(), reported.load(),
                           publishers && publishers->size() > 0 ? publishers.get() : nullptr});
}

void Node::Impl::keep_frame(const CameraId& camera, const Frame& f) {
  LatestFrame* kept = latest_frame(camera);
  if (kept == nullptr) return;
  LatestFrame& l = *kept;
  std::lock_guard lock(l.mutex);
  f.bgr.copyTo(l.bgr);
  l.boxes = l.next_boxes;
  l.source_width = f.source_width;
  l.source_height = f.source_height;
}

void Node::Impl::keep_boxes(const CameraId& camera, const evidence::TimedBoxes& boxes) {
  LatestFrame* kept = latest_frame(camera);
  if (kept == nullptr) return;
  std::lock_guard lock(kept->mutex);
  kept->next_boxes = boxes;
}

Result<std::string> Node::Impl::frame_jpeg(const CameraId& id) {
  LatestFrame* kept = latest_frame(id);
  if (kept == nullptr || !engine->camera_config(id)) return not_found("no camera '" + id + "'");
  // Only what is analysed now is shown: a stop or the end of a permit hides the wall too.
  const govern::Permit permit = governance->permit(id);
  if (!permit.analyse) {
    return Status(StatusCode::kFailedPrecondition, "not analysed: " + permit.why_not);
  }
  cv::Mat image;
  evidence::TimedBoxes boxes;
  int source_width = 0;
  {
    std::lock_guard lock(kept->mutex);
    if (kept->bgr.empty()) return unavailable("no frame analysed yet");
    image = kept->bgr.clone();
    boxes = kept->boxes;
    source_width = kept->source_width;
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

storage::TimeMs Node::Impl::wall_ms() const {
  return unix_ms(clock.wall_now());
}

void Node::Impl::on_lease(const CameraId& camera, bool acquired) {
  auto ended = acquired ? alerts->end_unfollowed("the camera moved to node " + node_id,
                                                 std::set<CameraId>{camera})
                        : alerts->end_followed(camera, "the camera left node " + node_id);
  if (!ended.is_ok()) {
    spdlog::error("camera {}: cannot end its open alerts: {}", camera, ended.status().to_string());
  }
}

void Node::Impl::follow(const storage::JournalRecord& r) {
  if (Status s = governance->follow(r); !s.is_ok()) {
    store_errors.warn("cannot apply record " + std::to_string(r.seq) + ": " + s.to_string());
  }
  // The alert service's changes (this node's and the others'), for the live event stream.
  if (!api || (r.action.rfind("alert.", 0) != 0 && r.action != "evidence.missing")) return;
  std::int64_t id = 0;
  for (const char* key : {"alert", "alert_id"}) {
    if (r.detail.contains(key) && r.detail[key].is_number_integer()) {
      id = r.detail[key].get<std::int64_t>();
      break;
    }
  }
  if (id == 0) return;
  auto alert = store->alert(id);
  if (!alert.is_ok() || !*alert) {
    store_errors.warn("record " + std::to_string(r.seq) + ": cannot read alert " +
                      std::to_string(id));
    return;
  }
  api->push_event({r.seq, r.action, **alert});
}

Status Node::Impl::start_sharing() {
  LeaseOptions lo;
  lo.node = node_id;
  lo.api = config.api.listen + ":" + std::to_string(api ? api->port() : 0);
  lo.heartbeat_s = config.node.heartbeat_s;
  lo.lease_s = config.node.lease_s;
  // Well under a second: a stop from another node applies here within one.
  follower = std::make_unique<JournalFollower>(*store, clock, 0.2,
                                               [this](const auto& r) { follow(r); });
  VIGIE_RETURN_IF_ERROR(follower->start(opened_at_seq));
  leases = std::make_unique<CameraLeases>(
      *store, *engine, clock, config.cameras, lo,
      [this](const CameraId& camera, bool acquired) { on_lease(camera, acquired); });
  return leases->start();
}

Result<nlohmann::json> Node::Impl::geometry(const CameraId& id) {
  auto c = engine->camera_config(id);
  if (!c) return not_found("no camera '" + id + "'");
  nlohmann::json j = config::geometry_json(*c);
  j["camera"] = id;
  j["source_width"] = nullptr;
  j["source_height"] = nullptr;
  if (LatestFrame* kept = latest_frame(id)) {
    std::lock_guard lock(kept->mutex);
    if (kept->source_width > 0) {
      j["source_width"] = kept->source_width;
      j["source_height"] = kept->source_height;
    }
  }
  j["updated_ms"] = nullptr;
  j["updated_by"] = nullptr;
  VIGIE_ASSIGN_OR_RETURN(auto saved, store->camera_geometries());
  for (const auto& g : saved) {
    if (g.camera != id) continue;
    j["updated_ms"] = g.updated_ms;
    j["updated_by"] = g.updated_by;
  }
  return j;
}

api::GeometryChange Node::Impl::set_geometry(const CameraId& id, const nlohmann::json& geometry,
                                 const std::string& user, bool dry_run) {
  api::GeometryChange change;
  std::lock_guard lock(reload_mutex);
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
    VIGIE_RETURN_IF_ERROR(tx.put_camera_geometry(record));
    auto j = tx.journal({record.updated_ms, user, "camera.geometry_changed",
                         {{"camera", id}, {"before", change.before}, {"after", change.after}}});
    return j.status();
  });
  if (!change.status.is_ok()) return change;
  // Stored and journaled first: the running camera then follows from its next frame.
  change.status = engine->update_camera(
      *checked.camera, [this, id] { end_retired(id, "the camera's geometry was changed", {}); });
  return change;
}

nlohmann::json Node::Impl::system_json() {
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

std::vector<api::CameraView> Node::Impl::camera_views() const {
  std::vector<api::CameraView> out;
  const auto holders = leases ? leases->holders() : std::map<CameraId, std::string>{};
  for (const auto& s : engine->status()) {
    api::CameraView v;
    v.id = s.id;
    v.name = s.name;
    v.health = s.health;
    v.node = node_id;
    if (leases) {
      auto h = holders.find(s.id);
      v.node = h != holders.end() ? h->second : "";
      if (v.node != node_id && v.health.state == CameraState::kStopped) {
        v.health.reason = v.node.empty() ? "waiting for a node to take it" : "analysed by node " + v.node;
      }
    }
    v.analysed_fps = s.analysed_fps;
    v.analysis_ms = s.analysis_ms;
    if (const auto c = camera(s.id)) {
      v.target_fps = c->analysis.fps;
      v.calibration = c->calibration_mode;
    }
    out.push_back(std::move(v));
  }
  return out;
}

}  // namespace vigie::engine
