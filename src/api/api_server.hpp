#pragma once
// The HTTP(S) API of a node: sessions for the console's users, alerts and their workflow,
// evidence, authorizations, the stop, the journal, statistics, users, a live event stream
// (Server-Sent Events), Prometheus metrics and the public transparency page. Routes and the
// roles allowed on each are in routes.hpp; docs/api.md and api/openapi.yaml describe them.

#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert_service.hpp"
#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/prometheus.hpp"
#include "core/health.hpp"
#include "core/status.hpp"
#include "govern/governance.hpp"
#include "govern/users.hpp"
#include "storage/store.hpp"

namespace vigie::api {

/// A camera as the API shows it (the engine adapts its CameraStatus to this).
struct CameraView {
  CameraId id;
  std::string name;
  CameraHealth health;
  double analysed_fps = 0;
  double analysis_ms = 0;
  double target_fps = 0;     ///< the configured analysis rate; 0: unknown
  bool calibration = false;  ///< alerts are recorded but not shown to operators
  std::string node;          ///< the node analysing it ("" while no node holds its lease)
};

/// A configured camera, for the public transparency page: only its name is ever shown; the id
/// maps authorizations (which name ids) to names.
struct PublicCamera {
  CameraId id;
  std::string name;
};

/// One problem of a document the API was given, by key path ("zones[1].polygon").
struct FieldError {
  std::string path;
  std::string message;
};

/// The outcome of a geometry change (or of its dry run).
struct GeometryChange {
  Status status;                     ///< InvalidArgument: `errors` says what is wrong
  std::vector<FieldError> errors;
  nlohmann::json before;             ///< the geometry in force until now
  nlohmann::json after;              ///< the geometry as validated
};

/// The outcome of a configuration reload (POST /api/v1/reload). Applied: `summary` says
/// what changed (versions, cameras, sections that need a restart). Refused: `status` is
/// InvalidArgument and `errors` names each problem by key path and line; nothing changed.
struct ConfigReload {
  Status status;
  std::vector<FieldError> errors;  ///< path as "cameras[1].zones[0].polygon (line 12)"
  nlohmann::json summary;
};

/// Tuning of the server; the defaults suit production.
struct ApiOptions {
  double session_idle_s = 12 * 3600;  ///< a session unused this long ends
  int login_free_failures = 5;        ///< failures before refusals start
  double login_lock_base_s = 30;      ///< first refusal period, doubled after each failure
  double login_lock_max_s = 900;
  std::size_t max_body_bytes = 1 << 20;
  /// Deepest nesting of arrays and objects in a body (a geometry needs 5); deeper bodies get
  /// 400 before any tree is built from them.
  int max_json_depth = 64;
  double sse_heartbeat_s = 15;        ///< comment line sent when no event was for this long
  std::size_t sse_queue_events = 512; ///< a client this far behind is dropped
  int max_sse_clients = 32;           ///< further event streams get 503; each has its own thread
  /// Open connections at once, event streams not counted; a connection beyond them, or
  /// beyond max_connections_per_address from one client address, is answered 503 and closed
  /// (a TLS one is closed). Each has a thread, so no connection waits for another.
  int max_connections = 64;
  int max_connections_per_address = 16;  ///< behind a reverse proxy, for all its clients
  double header_timeout_s = 10;  ///< a request's headers (or a TLS handshake) must arrive within
  double body_timeout_s = 30;    ///< then its body within this
  double keep_alive_s = 5;       ///< an idle connection is closed after this
  storage::TimeMs default_stats_days = 7;
  /// false: the live event stream carries what the node's alert service notifies (one node).
  /// true: it carries only what push_event() is given, which a node sharing its store feeds
  /// from the journal, so that every node's alerts reach it, in journal order, once each.
  bool events_from_journal = false;
  /// This node's id among nodes sharing a store (empty alone): named when an evidence file
  /// is not on this node, since evidence stays on the disk of the node that recorded it.
  std::string node_id;
};

/// What the server works with. The references must outlive the server.
struct ApiDeps {
  storage::Store& store;
  alerts::AlertService& alerts;
  govern::Governance& governance;
  govern::UserDirectory& users;
  const Clock& clock;
  /// Every configured camera with its health (the engine's status). May be empty.
  std::function<std::vector<CameraView>()> cameras;
  /// Appends the node's families to /metrics (cameras, analysis, evidence, publishers, the
  /// process), after the API's own. May be empty.
  std::function<void(PrometheusText&)> metrics_extra;
  /// The evidence folder: EvidenceRecord::path is relative to it.
  std::filesystem::path evidence_root;
  /// A servable file for an evidence record. `unmasked` asks for the version without the
  /// persons' pixelation (static privacy masks stay). Empty: masked records are served from
  /// evidence_root / path, and unmasked views answer 501.
  std::function<Result<std::filesystem::path>(const storage::EvidenceRecord&, bool unmasked)>
      evidence_file;
  /// The configured cameras, for the transparency page.
  std::vector<PublicCamera> public_cameras;
  /// The latest analysed frame of a camera as JPEG, with persons pixelated and privacy masks
  /// burned in. NotFound for an unknown camera; FailedPrecondition (with the reason) when it
  /// is not analysed; Unavailable before its first analysed frame. Empty: 501.
  std::function<Result<std::string>(const CameraId&)> camera_frame;
  /// A camera's geometry: zones, lines, calibration, privacy_masks (the configuration's
  /// shapes), source_width, source_height, updated_ms and updated_by. Empty: 501.
  std::function<Result<nlohmann::json>(const CameraId&)> camera_geometry;
  /// Validates a new geometry and, unless `dry_run`, stores it, journals the change
  /// ("camera.geometry_changed", before and after) and applies it to the running camera.
  std::function<GeometryChange(const CameraId&, const nlohmann::json& geometry,
                               const std::string& user, bool dry_run)>
      set_camera_geometry;
  /// Process figures (CPU share, memory, uptime) and per-camera counters for
  /// GET /api/v1/system. Empty: only the cameras.
  std::function<nlohmann::json()> system;
  /// Reads the node's configuration file again and applies it, as `user`. Empty: 501.
  std::function<ConfigReload(const std::string& user)> reload = {};
  /// A supervisor accepts a camera's changed view (journaled): NotFound, FailedPrecondition
  /// when its view has not changed. Empty: 501.
  std::function<Status(const CameraId&, const std::string& user)> accept_view = {};
  ApiOptions options = {};
  /// How the console announces alerts (GET /api/v1/console).
  config::ConsoleConfig console = {};
};

/// One per node. start() and stop() from one thread; requests are served by the server's own
/// pool of threads, one per connection and event stream its limits allow (connections.hpp).
class ApiServer {
 public:
  ApiServer(ApiDeps deps, config::ApiConfig config);
  ~ApiServer();
  ApiServer(const ApiServer&) = delete;
  ApiServer& operator=(const ApiServer&) = delete;

  /// Binds (port 0: any free port) and serves from a background thread. InvalidArgument for
  /// an unusable certificate or key; Unavailable when the address cannot be bound.
  Status start();
  /// The bound port; 0 before start().
  [[nodiscard]] int port() const;
  /// Ends event streams, stops serving and joins; idempotent.
  void stop();
  /// Sends a committed alert change to the live event streams (with
  /// ApiOptions::events_from_journal; in journal order). Thread-safe; never blocks on a client.
  void push_event(const alerts::AlertEvent& event);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_address(const std::string& address);

}  // namespace vigie::api
