#pragma once
// Camera leases: how nodes sharing one PostgreSQL database share the cameras. Every node's
// configuration lists every camera; each camera runs on the one node that holds its lease, a
// row the node renews by heartbeats. A node claims free cameras while its load (the sum of
// its cameras' weights) is below its fair share (total weight / live nodes), gives cameras
// back while it is above it and another node is below, and stops a camera as soon as it no
// longer holds its lease. A node that stops heartbeating loses its leases when they expire,
// and the others claim its cameras. Every change of holder is journaled in the same
// transaction as the lease row (lease.acquired, lease.released, lease.lost), and so are a
// node's arrival and departure (node.joined, node.left).
//
// The model's safety rule: a node stops a camera when its own renewal is older than
// lease_s - heartbeat_s by its own monotonic clock, before the database's clock can make the
// lease free for another node; so two nodes never analyse a camera at once while their
// clocks run at the same rate.

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
  void forget_dead_nodes(const storage::LeaseBoard& board);
  void balance(const storage::LeaseBoard& board);
  bool claim(const CameraId& camera);
  void release(const CameraId& camera, const std::string& why);
  Status journal(const std::string& action, nlohmann::json detail);
  [[nodiscard]] double weight(const CameraId& camera) const;
  [[nodiscard]] storage::TimeMs wall_ms() const;

  storage::Store& store_;
  Engine& engine_;
  const Clock& clock_;
  const std::vector<config::CameraConfig> cameras_;  // enabled cameras only
  const LeaseOptions options_;
  const OnChange on_change_;
  ThrottledLog errors_;

  // Touched by the lease thread only (and stop() once it is joined).
  std::map<CameraId, std::string> running_;  // cameras started here -> why
  std::chrono::steady_clock::time_point renewed_at_{};  // sending of the last good heartbeat
  int ticks_ = 0;

  mutable std::mutex mutex_;
  std::map<CameraId, std::string> holders_;  // guarded by mutex_
  LeaseCounters counters_;                   // guarded by mutex_
  bool started_ = false;                     // start() and stop()'s thread only
  bool stopped_ = false;                     // start() and stop()'s thread only
  Worker thread_;                            // last: it uses the members above
};

}  // namespace vigie::engine
