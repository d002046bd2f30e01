#pragma once
// Governance: analysis runs only inside an active authorization, for the cameras and event
// types it names; and a supervisor can stop everything, or one camera, at any moment.
// Both are journaled, survive a restart (state is rebuilt from the store), and are read by
// the engine before each analysed frame.

#include <functional>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::govern {

/// Who stopped what, and when.
struct StopInfo {
  bool stopped = false;
  std::string by;
  storage::TimeMs at_ms = 0;
  std::string reason;
};

/// What a camera may do now.
struct Permit {
  bool analyse = false;             ///< false: the camera is not analysed at all
  std::set<EventType> event_types;  ///< the types that may be evaluated
  std::string why_not;              ///< when !analyse: "stopped by X", "no active authorization"
  std::vector<std::string> references;  ///< the authorizations that allow it
};

/// Thread-safe. permit() is cheap and called on every analysed frame.
class Governance {
 public:
  /// Loads authorizations (those of the configuration are stored as origin "config") and the
  /// stop state from the store. InvalidArgument for a configured authorization with bad times.
  static Result<std::unique_ptr<Governance>> open(storage::Store& store, const Clock& clock,
                                                  const std::vector<config::Authorization>& configured);

  [[nodiscard]] Permit permit(const CameraId& camera) const;

  /// Stores the configuration's authorizations (origin "config") where they differ from the
  /// stored ones, each journaled by `actor`; a revoked one stays revoked. At open and when the
  /// configuration is reloaded. InvalidArgument (nothing stored) for bad times or terms.
  Status apply_configured(const std::vector<config::Authorization>& configured,
                          const std::string& actor);

  /// Stops analysis everywhere (camera empty) or for one camera, journaled; effective at
  /// the next frame. Stopping twice is not an error.
  Status stop(const std::string& user, const CameraId& camera, const std::string& reason);
  /// Resumes; the caller checks the user is a supervisor.
  Status resume(const std::string& user, const CameraId& camera);
  [[nodiscard]] StopInfo global_stop() const;
  [[nodiscard]] std::map<CameraId, StopInfo> camera_stops() const;

  /// Adds or replaces an authorization (origin "api"), journaled. InvalidArgument when the
  /// end is not after the start, or it names no camera or no event type.
  Status authorize(const std::string& user, storage::AuthorizationRecord authorization);
  /// Revokes by reference, journaled. NotFound when unknown.
  Status revoke(const std::string& user, const std::string& reference);
  [[nodiscard]] std::vector<storage::AuthorizationRecord> authorizations() const;

  /// Called after every change of stops or authorizations (from the changing thread).
  void on_change(std::function<void()> listener);

  /// Applies a journal record another node sharing the store wrote: a stop or resume
  /// (stop.stopped, stop.resumed) takes effect here too; an authorization change
  /// (authorization.*) reloads the authorizations from the store. Records this governance
  /// already reflects (its own changes, older ones) change nothing. Other records are ignored.
  /// Returns the store's error when the reload fails (the previous state stays).
  Status follow(const storage::JournalRecord& record);

 private:
  Governance(storage::Store& store, const Clock& clock);
  storage::Store& store_;
  const Clock& clock_;
  mutable std::mutex mutex_;
  StopInfo global_;
  std::map<CameraId, StopInfo> cameras_;
  /// Seq of the journal record each stop state comes from ("" for the global stop), so that
  /// a record seen again through follow() never undoes a later change.
  std::map<CameraId, std::int64_t> stop_seq_;
  std::vector<storage::AuthorizationRecord> authorizations_;
  std::vector<std::function<void()>> listeners_;
};

}  // namespace vigie::govern
