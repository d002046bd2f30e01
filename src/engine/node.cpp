#include "engine/node_impl.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace vigie::engine {
namespace {

std::string host_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "vigie";
  return host;
}

}  // namespace

EngineOptions Node::Impl::engine_options() {
  EngineOptions eo;
  eo.make_source = options.make_source ? options.make_source : ingest::make_source;
  eo.workers = options.workers;
  eo.pacing = options.pacing;
  eo.clock = &clock;
  eo.on_alert = [this](const Alert& a, AlertChange c) { on_alert(a, c); };
  eo.permit = [this](const CameraId& camera) { return governance->permit(camera); };
  eo.on_persons = [this](const CameraId& camera, const evidence::TimedBoxes& boxes) {
    if (auto* history = person_history(camera)) history->add(boxes);
    keep_boxes(camera, boxes);
  };
  eo.on_frame = [this](const config::CameraConfig& c, const Frame& f) { keep_frame(c.id, f); };
  eo.start_all = !store->shared();  // shared: each camera runs where its lease is
  return eo;
}

api::ApiDeps Node::Impl::api_deps() {
  std::vector<api::PublicCamera> public_cameras;
  for (const auto& c : config.cameras) {
    // Only names are public: a camera without one is shown as "-", never by its id.
    public_cameras.push_back({c.id, c.name});
  }
  api::ApiDeps deps{*store,
                    *alerts,
                    *governance,
                    *users,
                    clock,
                    [this] { return camera_views(); },
                    [this](PrometheusText& out) { write_metrics(out); },
                    evidence_root,
                    [this](const storage::EvidenceRecord& r, bool unmasked) {
                      return evidence_file(r, unmasked);
                    },
                    public_cameras,
                    [this](const CameraId& id) { return frame_jpeg(id); },
                    [this](const CameraId& id) { return geometry(id); },
                    [this](const CameraId& id, const nlohmann::json& g, const std::string& user,
                           bool dry_run) { return set_geometry(id, g, user, dry_run); },
                    [this] { return system_json(); }};
  deps.accept_view = [this](const CameraId& id, const std::string& user) {
    return accept_view(id, user);
  };
  deps.reload = [this](const std::string& user) {
    const ReloadResult r = reload_file(user);
    api::ConfigReload answer;
    answer.status = r.status;
    for (const auto& e : r.errors) {
      answer.errors.push_back(
          {e.line > 0 ? e.path + " (line " + std::to_string(e.line) + ")" : e.path, e.message});
    }
    answer.summary = r.summary();
    return answer;
  };
  deps.console = config.console;
  // Sharing a store, the live events come from the journal: every node's alerts, in order.
  deps.options.events_from_journal = store->shared();
  if (store->shared()) deps.options.node_id = node_id;
  return deps;
}

Result<std::unique_ptr<Node>> Node::open(const config::Config& config, NodeOptions options) {
  auto impl = std::make_unique<Impl>(config, std::move(options));
  Impl& n = *impl;
  // Everything the node writes (journal, evidence, the outbox) is its own: unmasked video
  // and alerts are for no other account on the machine, whatever the data folder's mode.
  ::umask(077);

  VIGIE_ASSIGN_OR_RETURN(n.store, storage::make_store(n.config.storage));
  VIGIE_RETURN_IF_ERROR(n.apply_saved_geometry(n.config));
  n.node_id = n.config.node.id.empty() ? host_name() : n.config.node.id;
  if (n.store->shared()) {
    // Read before the stops and authorizations are: whatever another node journals from now
    // on reaches this node through its follower.
    VIGIE_ASSIGN_OR_RETURN(auto head, n.store->journal_head());
    n.opened_at_seq = head ? head->seq : 0;
  }
  VIGIE_ASSIGN_OR_RETURN(n.governance,
                         govern::Governance::open(*n.store, n.clock, n.config.authorizations));
  alerts::AlertServiceOptions alert_options;
  alert_options.reason_codes = n.config.alerts.reason_codes;
  alert_options.update_interval_s = n.config.alerts.update_interval_s;
  alert_options.verdict_undo_s = n.config.alerts.verdict_undo_s;
  alert_options.measures = n.config.alerts.measures;
  n.alerts = std::make_unique<alerts::AlertService>(*n.store, n.clock, alert_options);
  n.users = std::make_unique<govern::UserDirectory>(*n.store, n.clock, n.options.hash_cost);
  if (!n.config.api.admin_user.empty()) {
    VIGIE_RETURN_IF_ERROR(
        n.users->ensure_admin(n.config.api.admin_user, n.config.api.admin_password));
  }

  n.evidence_root = fs::path(n.config.storage.data_dir) / "evidence";
  std::error_code ec;
  fs::create_directories(n.evidence_root, ec);
  if (ec) {
    return Status(StatusCode::kFailedPrecondition,
                  "cannot create " + n.evidence_root.string() + ": " + ec.message());
  }
  fs::permissions(n.evidence_root, fs::perms::owner_all, fs::perm_options::replace, ec);
  VIGIE_RETURN_IF_ERROR(n.remove_unlisted_evidence());
  evidence::EvidenceOptions evidence_options;
  evidence_options.clip_before_s = n.config.alerts.evidence_before_s;
  evidence_options.clip_after_s = n.config.alerts.evidence_after_s;
  n.writer = std::make_unique<evidence::EvidenceWriter>(n.evidence_root, evidence_options);

  VIGIE_ASSIGN_OR_RETURN(
      n.publishers,
      publish::make_publishers(n.config, fs::path(n.config.storage.data_dir) / "outbox"));
  n.retention = std::make_unique<alerts::RetentionJob>(
      *n.store, n.evidence_root, n.clock, alerts::RetentionPolicy::from(n.config.storage));

  for (const auto& c : n.config.cameras) n.add_camera_state(c);

  VIGIE_ASSIGN_OR_RETURN(n.engine, Engine::create(n.config, n.engine_options()));

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
    n.api = std::make_unique<api::ApiServer>(n.api_deps(), n.config.api);
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
    VIGIE_RETURN_IF_ERROR(n.api->start());
  }
  n.retention->start();
  n.services =
      Worker("vigie-services", [&n](const std::stop_token& stop) { n.run_services(stop); });
  // A configuration that differs from the one the node last ran with (its start, or a reload
  // since) is a change the evaluators must see: journaled with both versions.
  const std::string version = config::config_version(n.config);
  std::string previous;
  storage::TimeMs previous_start_ms = 0;
  storage::JournalQuery last_start;
  last_start.action_prefix = "node.started";
  last_start.limit = 1'000'000;
  // This node's own records: on a shared store the other nodes' starts and reloads are
  // theirs. Records written before they named their node belong to a node that ran alone.
  const auto mine = [&](const storage::JournalRecord& r) {
    const auto node = r.detail.is_object() ? r.detail.find("node") : r.detail.end();
    return node == r.detail.end() ? !n.store->shared() : node->is_string() && *node == n.node_id;
  };
  std::int64_t previous_seq = 0;
  if (auto starts = n.store->journal(last_start); starts.is_ok()) {
    for (auto it = starts->rbegin(); it != starts->rend(); ++it) {
      if (!mine(*it)) continue;
      previous = it->detail.value("config_version", "");
      previous_start_ms = it->at_ms;
      previous_seq = it->seq;
      break;
    }
  }
  // A reload since that start changed the version the node ran with last.
  storage::JournalQuery last_reload;
  last_reload.action_prefix = "config.reloaded";
  last_reload.after_seq = previous_seq;
  last_reload.limit = 1'000'000;
  if (auto reloads = n.store->journal(last_reload); reloads.is_ok()) {
    for (auto it = reloads->rbegin(); it != reloads->rend(); ++it) {
      if (!mine(*it)) continue;
      previous = it->detail.value("to_version", previous);
      break;
    }
  }
  VIGIE_RETURN_IF_ERROR(n.recover_previous_run(previous_start_ms));
  // The head as this start found it: a journal whose end was cut while the node was down
  // does not lead to the head the previous run published (MQTT, the API).
  nlohmann::json previous_head = nullptr;
  if (auto head = n.store->journal_head(); head.is_ok() && *head) {
    previous_head = {{"seq", (*head)->seq}, {"hash", (*head)->hash}};
  }
  const storage::TimeMs now = n.wall_ms();
  Status s = n.store->write([&](storage::Tx& tx) -> Status {
    if (!previous.empty() && previous != version) {
      VIGIE_RETURN_IF_ERROR(tx.journal({now,
                                        "config",
                                        "config.changed",
                                        {{"from_version", previous}, {"to_version", version}}}));
    }
    nlohmann::json cameras = nlohmann::json::array();
    for (const auto& c : n.config.cameras) cameras.push_back(c.id);
    auto j = tx.journal({now,
                         "system",
                         "node.started",
                         {{"node", n.node_id},
                          {"host", host_name()},
                          {"cameras", cameras},
                          {"api_port", api_port()},
                          {"config_version", version},
                          {"previous_head", previous_head}}});
    return j.status();
  });
  if (!s.is_ok()) return s;
  spdlog::info("node {} on host {} started: config version {}, {} store, API port {}", n.node_id,
               host_name(), version, n.store->shared() ? "shared PostgreSQL" : "SQLite",
               api_port());
  n.engine->start();
  if (n.store->shared()) return n.start_sharing();
  return Status::ok();
}

void Node::stop() {
  Impl& n = *impl_;
  if (!n.started || n.stopped) return;
  n.stopped = true;
  // Leases first: the cameras stop, are given back and journaled, and the others take them.
  if (n.leases) n.leases->stop();
  if (n.follower) n.follower->stop();
  n.engine->stop();
  n.services.stop();
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
    return j.status();
  });
  if (!s.is_ok()) spdlog::error("cannot journal the node's stop: {}", s.to_string());
}

Status Node::accept_view(const CameraId& camera, const std::string& user) {
  return impl_->accept_view(camera, user);
}

ReloadResult Node::reload(const std::string& by) {
  return impl_->reload_file(by);
}

ReloadResult Node::reload(const config::Config& next, const std::string& by) {
  return impl_->reload(next, by);
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
