#pragma once
// Camera leases: how nodes sharing one PostgreSQL database share the cameras. Each camera
// runs on the one node that holds its lease, a row the node renews by heartbeats. A node
// claims free cameras while its load (the sum of its cameras' weights) is below its fair
// share (total weight / live nodes), gives cameras back while it is above it and another node
// is below, and stops a camera as soon as it no longer holds its lease. A node that stops
// heartbeating loses its leases when they expire, and the others claim its cameras. Every
// change of holder is journaled in the same transaction as the lease row (lease.acquired,
// lease.released, lease.lost), and so are a node's arrival and departure (node.joined,
// node.left) and a change of its list of cameras (node.cameras).
//
// Nodes' configurations may differ for a while (a reload that reached some nodes only): each
// heartbeat announces the cameras this node's configuration lists, and a node claims only
// cameras of its own list, runs a camera only while its own list has it (a camera removed
// from it is stopped and given back at once), and balances only with nodes that list the
// camera. A free camera that every node listing it is already at or above its share to take
// goes to the least loaded of them, so no listed camera stays without a node.
//
// The model's safety rule: a node stops a camera when its own renewal is older than
// lease_s - heartbeat_s by its own monotonic clock, before the database's clock can make the
// lease free for another node; so two nodes never analyse a camera at once while their
// clocks run at the same rate.

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/log.hpp"
#include "core/worker.hpp"
#include "engine/engine.hpp"
#include "storage/store.hpp"

namespace vigie::engine {

struct LeaseOptions {
  std::string node;  ///< this node's id
  std::string api;   ///< where its API listens ("host:port"), shown to other nodes
  double heartbeat_s = 2;
  double lease_s = 10;
};

/// Counters for /metrics and tests.
struct LeaseCounters {
  std::uint64_t heartbeats = 0;
  std::uint64_t heartbeat_failures = 0;
  std::uint64_t acquired = 0;
  std::uint64_t taken_over = 0;  ///< of acquired: from a node whose lease had expired
  std::uint64_t released = 0;
  std::uint64_t lost = 0;
};

/// Runs its own thread between start() and stop(). holders() and counters() from any thread.
class CameraLeases {
 public:
  /// Called (from the lease thread) after a camera started or stopped here; `acquired` false
  /// when it was given back or lost. The node ends the situations left open.
  using OnChange = std::function<void(const CameraId& camera, bool acquired)>;

  CameraLeases(storage::Store& store, Engine& engine, const Clock& clock,
               std::vector<config::CameraConfig> cameras, LeaseOptions options,
               OnChange on_change);
  ~CameraLeases();
  CameraLeases(const CameraLeases&) = delete;
  CameraLeases& operator=(const CameraLeases&) = delete;

  /// Journals node.joined and starts heartbeating. The engine must be started.
  Status start();
  /// Takes a configuration's new list of cameras while the lease thread waits: `apply` runs
  /// first (the engine takes the new configuration: a camera removed stops there, and ends
  /// its situations with that reason), then every camera running here that the new list no
  /// longer has (removed or disabled) is given back (lease.released), and node.cameras is
  /// journaled when the list changed. Cameras added are claimed from the next heartbeat, here
  /// or by another node that lists them. From any thread but the lease thread.
  Status reconfigure(std::vector<config::CameraConfig> cameras, const std::function<void()>& apply);
  /// Stops this node's cameras, gives their leases back and journals node.left. Idempotent.
  void stop();

  /// The node holding each camera's live lease, by camera (as of the last heartbeat).
  [[nodiscard]] std::map<CameraId, std::string> holders() const;
  [[nodiscard]] LeaseCounters counters() const;
  [[nodiscard]] const std::string& node() const { return options_.node; }

 private:
  void run(const std::stop_token& stop);
  void tick();
  /// Stops every camera running here (a lease that cannot be renewed in time).
  void stop_all(const std::string& why);
  void drop_lost(const storage::LeaseBoard& board);
  /// Gives back a lease this node holds without running its camera.
  void give_back_unrun(const storage::LeaseBoard& board);
  /// Logs, once per change, the cameras that only some live nodes list.
  void note_differences(const storage::LeaseBoard& board);
  void forget_dead_nodes(const storage::LeaseBoard& board);
  void balance(const storage::LeaseBoard& board);
  /// The enabled cameras of cameras_ with their weights, as a heartbeat announces them.
  [[nodiscard]] storage::NodeCameras offered() const;
  bool claim(const CameraId& camera);
  void release(const CameraId& camera, const std::string& why);
  Status journal(const std::string& action, nlohmann::json detail);
  [[nodiscard]] storage::TimeMs wall_ms() const;

  storage::Store& store_;
  Engine& engine_;
  const Clock& clock_;
  const LeaseOptions options_;
  const OnChange on_change_;
  ThrottledLog errors_;

  // Held by a heartbeat's work, by reconfigure() and by stop(): they never interleave.
  std::mutex work_mutex_;
  std::vector<config::CameraConfig> cameras_;  // guarded by work_mutex_; enabled cameras only
  std::map<CameraId, std::string> running_;    // guarded by work_mutex_; started here -> why
  // Touched by the lease thread only.
  std::chrono::steady_clock::time_point renewed_at_{};  // sending of the last good heartbeat
  int ticks_ = 0;
  std::string differing_;  // the cameras only some live nodes list, as last logged

  mutable std::mutex mutex_;
  std::map<CameraId, std::string> holders_;  // guarded by mutex_
  LeaseCounters counters_;                   // guarded by mutex_
  bool started_ = false;                     // start() and stop()'s thread only
  std::atomic<bool> stopped_{false};         // set by stop(), read by reconfigure()
  Worker thread_;                            // last: it uses the members above
};

}  // namespace vigie::engine
