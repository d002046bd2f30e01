#pragma once
// A vigie node: the engine and everything around it. It opens the store, rebuilds governance
// (authorizations and stops) and the users, runs the cameras only inside their permits,
// stores and journals every alert the rules report, cuts privacy-masked evidence off the
// pipeline threads, publishes to integrators, purges what retention says, and serves the
// API and console.

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/alert_service.hpp"
#include "config/config.hpp"
#include "config/section.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "engine/engine.hpp"
#include "govern/governance.hpp"
#include "govern/users.hpp"
#include "storage/store.hpp"

namespace vigie::engine {

struct NodeOptions {
  SourceFactory make_source;             ///< empty: ingest::make_source
  std::optional<ingest::Pacing> pacing;  ///< overrides each camera's input.realtime
  std::size_t workers = 0;               ///< 0: one per core
  const Clock* clock = nullptr;          ///< null: the system clock
  /// Also receives what the rules report (the terminal's alert lines), from worker threads.
  rules::AlertSink also_on_alert;
  /// Cost of password hashes (tests create users by the dozen).
  govern::HashCost hash_cost = govern::HashCost::kInteractive;
  bool serve_api = true;  ///< false: no HTTP server (tools that only need the pipeline)
  /// The file the configuration came from, which reload() reads again. Empty: reload()
  /// is refused.
  std::filesystem::path config_file;
};

/// What a configuration reload did, or why it did nothing.
struct ReloadResult {
  /// InvalidArgument when the file was refused (`errors` says why; nothing changed);
  /// FailedPrecondition when this node cannot apply the change while it runs.
  Status status;
  std::vector<config::ConfigError> errors;
  std::string from_version;
  std::string to_version;
  /// One camera that changed, with the keys of its configuration that differ.
  struct CameraReload {
    CameraId camera;
    CameraChange change = CameraChange::kUnchanged;
    std::vector<std::string> keys;
  };
  std::vector<CameraReload> cameras;       ///< the cameras that changed
  std::vector<std::string> needs_restart;  ///< sections changed that only a restart applies
  /// versions, "changed", "cameras" [{camera, change}], "needs_restart": for the journal
  /// and the API.
  [[nodiscard]] nlohmann::json summary() const;
};

/// Counters of what the node did around the pipeline, for /metrics and tests.
struct NodeCounters {
  std::uint64_t alerts_reported = 0;  ///< pipeline reports stored (raised, updates, ends)
  std::uint64_t alerts_retrying = 0;  ///< reports waiting for the store to accept them
  std::uint64_t evidence_written = 0;
  std::uint64_t evidence_failed = 0;
};

/// Built once from a validated configuration. start() and stop() from one thread.
class Node {
 public:
  /// Opens the store (creating the data folder), governance and users; builds the engine,
  /// evidence writer, publishers and API server without starting them. InvalidArgument /
  /// FailedPrecondition / Unavailable with what is wrong.
  static Result<std::unique_ptr<Node>> open(const config::Config& config, NodeOptions options);
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Starts the API (binding its port), retention, publishers and the cameras; journals
  /// "node.started". Unavailable when the API port cannot be bound.
  Status start();
  /// Stops the cameras first (no new alert), then finishes evidence in progress, publishers,
  /// the API and retention; journals "node.stopped". Idempotent.
  void stop();

  [[nodiscard]] Engine& engine();
  [[nodiscard]] storage::Store& store();
  [[nodiscard]] alerts::AlertService& alerts();
  [[nodiscard]] govern::Governance& governance();
  [[nodiscard]] govern::UserDirectory& users();
  /// Reads NodeOptions::config_file again and applies it while the cameras run, on behalf
  /// of `by` ("signal" for SIGHUP, or a supervisor's name): when the whole file is valid its
  /// cameras, zones, rules, masks and authorizations apply between two frames (unchanged
  /// cameras are not touched; open alerts of a camera whose analysis restarts or stops end,
  /// with the reason) and the change is journaled as config.reloaded with both versions and
  /// what changed; when it is not, nothing changes and the errors are returned and logged.
  /// Thread-safe; one reload at a time.
  ReloadResult reload(const std::string& by);
  /// The same with a configuration already parsed (tests, tools).
  ReloadResult reload(const config::Config& next, const std::string& by);

  /// A supervisor accepts a camera's changed view as its new reference (journaled as
  /// camera.view_accepted); its rules run again from its next frame. NotFound,
  /// FailedPrecondition when its view has not changed.
  Status accept_view(const CameraId& camera, const std::string& user);

  /// The bound API port (0 without an API or before start()).
  [[nodiscard]] int api_port() const;
  [[nodiscard]] NodeCounters counters() const;
  /// Per-camera and node metrics in Prometheus text format.
  [[nodiscard]] std::string metrics_text() const;

 private:
  struct Impl;
  explicit Node(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigie::engine
