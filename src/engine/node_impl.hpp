#pragma once
// The inside of a Node (node.hpp), shared by node.cpp (opening, start and stop) and
// node_impl.cpp (what the node does while it runs: alerts, evidence, services, the API's
// views). Internal to the engine module.

#include <atomic>
#include <deque>
#include <limits>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <shared_mutex>
#include <stop_token>

#include <sys/stat.h>
#include <unistd.h>

#include <opencv2/core.hpp>

#include "alerts/retention.hpp"
#include "api/api_server.hpp"
#include "api/views.hpp"
#include "config/loader.hpp"
#include "config/to_json.hpp"
#include "core/log.hpp"
#include "core/process_usage.hpp"
#include "core/worker.hpp"
#include "engine/camera_leases.hpp"
#include "engine/journal_follower.hpp"
#include "engine/node_metrics.hpp"
#include "evidence/evidence_writer.hpp"
#include "evidence/overlay.hpp"
#include "evidence/person_history.hpp"
#include "evidence/sweep.hpp"
#include "publish/publisher.hpp"

#include "engine/node.hpp"

namespace vigie::engine {
namespace fs = std::filesystem;

struct Node::Impl {
  // Set by open(). A reload replaces config's cameras and authorizations, under reload_mutex
  // and cameras_mutex (exclusive); the other sections never change while the node runs.
  config::Config config;
  NodeOptions options;
  const Clock& clock;
  fs::path evidence_root;

  // Built by open(), then only read: each is thread-safe itself.
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<govern::Governance> governance;
  std::unique_ptr<alerts::AlertService> alerts;
  std::unique_ptr<govern::UserDirectory> users;
  std::unique_ptr<evidence::EvidenceWriter> writer;
  std::unique_ptr<publish::PublisherSet> publishers;
  std::unique_ptr<alerts::RetentionJob> retention;
  std::unique_ptr<api::ApiServer> api;
  std::unique_ptr<Engine> engine;
  // Nodes sharing a PostgreSQL database: this node's id, its camera leases, and what it learns
  // from the others through the journal (stops, authorizations, alerts).
  std::string node_id;                        // set by open()
  std::unique_ptr<CameraLeases> leases;       // built by start(), stopped by stop()
  std::unique_ptr<JournalFollower> follower;  // built by start(), stopped by stop()
  std::int64_t opened_at_seq = 0;  // set by open(): the journal's head when its state was read

  // The latest analysed frame of each camera, for the console's camera wall (encoded, with
  // persons pixelated and privacy masks burned in, only when asked for).
  struct LatestFrame {
    std::mutex mutex;  // guards every member below
    cv::Mat bgr;
    evidence::TimedBoxes boxes;       // what to hide in bgr, source pixels
    evidence::TimedBoxes next_boxes;  // of the frame being analysed
    int source_width = 0;
    int source_height = 0;
  };
  // Per-camera state, by id. A reload adds entries; persons and latest are never erased (a
  // removed camera's last evidence may still be cut), so the pointers handed out stay valid.
  mutable std::shared_mutex cameras_mutex;  // guards the maps' structure, not their entries
  std::map<CameraId, std::shared_ptr<const config::CameraConfig>> cameras;  // configured now
  std::map<CameraId, std::unique_ptr<evidence::PersonHistory>> persons;     // each locks itself
  std::map<CameraId, std::unique_ptr<LatestFrame>> latest;  // each entry has its own mutex
  std::mutex reload_mutex;  // one reload (or geometry change) at a time
  std::mutex cpu_mutex;
  double cpu_last_s = 0;  // guarded by cpu_mutex
  std::chrono::steady_clock::time_point cpu_last_at =
      std::chrono::steady_clock::now();  // guarded by cpu_mutex
  double cpu_cores = 0;                  // guarded by cpu_mutex
  const std::chrono::steady_clock::time_point opened_at = std::chrono::steady_clock::now();

  // Work the services thread does: evidence once its window has passed, reports the store
  // refused (retried: a rule's alert is never dropped), camera status for integrators.
  struct PendingEvidence {
    std::int64_t alert_id = 0;
    Alert alert;
    SteadyTime due;
  };
  std::mutex mutex;
  std::deque<PendingEvidence> pending;                     // guarded by mutex
  std::deque<std::tuple<Alert, AlertChange, bool>> retry;  // guarded by mutex
  std::map<CameraId, std::string> last_status;  // services thread only: last published per camera
  std::mutex view_mutex;                        // one view journaling at a time
  std::map<CameraId, std::string> last_view;    // guarded by view_mutex: journaled, "" ok
  std::int64_t last_published_head = 0;  // services thread only: seq of the head last published

  std::atomic<std::uint64_t> reported{0};
  std::atomic<std::uint64_t> evidence_written{0};
  std::atomic<std::uint64_t> evidence_failed{0};
  ThrottledLog store_errors;  // locks itself
  int alert_listener = 0;     // set by open(), read by stop()
  bool started = false;       // start() and stop()'s thread only
  bool stopped = false;       // start() and stop()'s thread only
  Worker services;            // last: the services thread uses everything above

  // The per-camera state above for a camera (added by a reload, or at open).
  void add_camera_state(const config::CameraConfig& camera);
  [[nodiscard]] std::shared_ptr<const config::CameraConfig> camera(const CameraId& id) const;
  [[nodiscard]] evidence::PersonHistory* person_history(const CameraId& id) const;
  [[nodiscard]] LatestFrame* latest_frame(const CameraId& id) const;

  // The configuration's cameras with the geometry saved from the console where it still fits.
  Status apply_saved_geometry(config::Config& config) const;

  ReloadResult reload(config::Config next, const std::string& by);
  ReloadResult reload_file(const std::string& by);
  // Ends what a camera's previous analysis followed, once it reports nothing more.
  void end_retired(const CameraId& camera, const std::string& why,
                   const std::set<EventType>& removed_types);

  Impl(const config::Config& c, NodeOptions o)
      : config(c),
        options(std::move(o)),
        clock(options.clock != nullptr ? *options.clock : SystemClock::instance()),
        store_errors("store", clock) {}

  // What open() builds the engine and the API server with: the callbacks into this node.
  EngineOptions engine_options();
  api::ApiDeps api_deps();

  void on_alert(const Alert& alert, AlertChange change);

  void schedule_evidence(std::int64_t id, const Alert& alert);

  std::vector<Point> zone_outline(const config::CameraConfig& c, const std::string& zone) const;

  void cut_evidence(const PendingEvidence& p);

  // An alert without evidence says why, in the store and the journal. When even that cannot
  // be written (the disk is full), the next start finds the alert without evidence and says
  // it then.
  void note_missing_evidence(std::int64_t alert_id, const std::string& why);

  // What the previous run could not finish: situations it followed are ended, and alerts it
  // raised without writing their evidence say so. `since_ms`: that run's start (0: none).
  Status recover_previous_run(storage::TimeMs since_ms);

  Result<fs::path> evidence_file(const storage::EvidenceRecord& record, bool unmasked);

  // Files a crash left in the evidence folder that no record lists (an interrupted write's
  // temporary files, which may hold unmasked video; files renamed but never recorded):
  // retention would never delete them. Removed before anything writes there, and journaled.
  Status remove_unlisted_evidence();

  void forget_unmasked();

  // The journal's head, for integrators to keep: a journal whose end is removed later no
  // longer reaches a head seen outside (vigie journal verify --expect-head).
  void publish_journal_head();

  void publish_statuses();

  // Journals each camera's view changing and coming back (services thread).
  void journal_views();
  // A supervisor accepts a camera's changed view: applied, journaled.
  Status accept_view(const CameraId& camera, const std::string& user);

  // The services thread's loop: every 200 ms until a stop, and one pass more after it.
  void run_services(const std::stop_token& stop);

  void write_metrics(PrometheusText& out) const;

  void keep_frame(const CameraId& camera, const Frame& f);

  void keep_boxes(const CameraId& camera, const evidence::TimedBoxes& boxes);

  Result<std::string> frame_jpeg(const CameraId& id);

  storage::TimeMs wall_ms() const;

  // A camera came here or went: the situations its previous analysis followed are over.
  void on_lease(const CameraId& camera, bool acquired);

  // What another node journaled, in journal order.
  void follow(const storage::JournalRecord& r);

  // Leases and the journal follower, for a store several nodes share.
  Status start_sharing();

  Result<nlohmann::json> geometry(const CameraId& id);

  api::GeometryChange set_geometry(const CameraId& id, const nlohmann::json& geometry,
                                   const std::string& user, bool dry_run);

  nlohmann::json system_json();

  std::vector<api::CameraView> camera_views() const;
};

}  // namespace vigie::engine
