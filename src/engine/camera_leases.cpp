#include "engine/camera_leases.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"

namespace vigie::engine {
namespace {

constexpr double kEpsilon = 1e-9;

std::vector<config::CameraConfig> enabled_only(std::vector<config::CameraConfig> cameras) {
  std::erase_if(cameras, [](const config::CameraConfig& c) { return !c.enabled; });
  return cameras;
}

nlohmann::json ids(const storage::NodeCameras& cameras) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [camera, weight] : cameras) out.push_back(camera);
  return out;
}

}  // namespace

CameraLeases::CameraLeases(storage::Store& store, Engine& engine, const Clock& clock,
                           std::vector<config::CameraConfig> cameras, LeaseOptions options,
                           OnChange on_change)
    : store_(store),
      engine_(engine),
      clock_(clock),
      options_(std::move(options)),
      on_change_(std::move(on_change)),
      errors_("leases", clock),
      cameras_(enabled_only(std::move(cameras))) {}

CameraLeases::~CameraLeases() {
  stop();
}

storage::TimeMs CameraLeases::wall_ms() const {
  return unix_ms(clock_.wall_now());
}

storage::NodeCameras CameraLeases::offered() const {
  storage::NodeCameras out;
  for (const auto& c : cameras_) out[c.id] = c.weight;
  return out;
}

Status CameraLeases::journal(const std::string& action, nlohmann::json detail) {
  return store_.write([&](storage::Tx& tx) -> Status {
    return tx.journal({wall_ms(), "system", action, std::move(detail)}).status();
  });
}

Status CameraLeases::start() {
  if (started_) return Status::ok();
  storage::NodeCameras offer;
  {
    std::lock_guard lock(work_mutex_);
    offer = offered();
  }
  // Registered before it is journaled: a node is in the table from the moment it says so.
  // Two nodes given one id would renew each other's leases as if they were one node.
  VIGIE_RETURN_IF_ERROR(store_.heartbeat(options_.node, options_.api, options_.lease_s, offer));
  VIGIE_RETURN_IF_ERROR(journal("node.joined", {{"node", options_.node},
                                                {"api", options_.api},
                                                {"cameras", ids(offer)},
                                                {"heartbeat_s", options_.heartbeat_s},
                                                {"lease_s", options_.lease_s}}));
  started_ = true;
  thread_ = Worker("vigie-leases", [this](const std::stop_token& stop) { run(stop); });
  return Status::ok();
}

Status CameraLeases::reconfigure(std::vector<config::CameraConfig> cameras,
                                 const std::function<void()>& apply) {
  std::lock_guard lock(work_mutex_);
  if (stopped_) return Status(StatusCode::kFailedPrecondition, "the node is stopping");
  const storage::NodeCameras before = offered();
  // The engine first: a camera removed stops there, and its situations end with that reason
  // before the release below would end them as a camera that left the node.
  if (apply) apply();
  cameras_ = enabled_only(std::move(cameras));
  const storage::NodeCameras after = offered();
  std::vector<CameraId> dropped;
  for (const auto& [camera, why] : running_) {
    if (after.count(camera) == 0) dropped.push_back(camera);
  }
  for (const auto& camera : dropped) {
    release(camera, "removed from the configuration of node " + options_.node);
  }
  if (before == after) return Status::ok();
  nlohmann::json added = nlohmann::json::array();
  nlohmann::json removed = nlohmann::json::array();
  for (const auto& [camera, w] : after) {
    if (before.count(camera) == 0) added.push_back(camera);
  }
  for (const auto& [camera, w] : before) {
    if (after.count(camera) == 0) removed.push_back(camera);
  }
  nlohmann::json weights = nlohmann::json::object();
  for (const auto& [camera, w] : after) weights[camera] = w;
  return journal("node.cameras", {{"node", options_.node},
                                  {"cameras", weights},
                                  {"added", added},
                                  {"removed", removed}});
}

void CameraLeases::stop() {
  if (!started_ || stopped_) return;
  stopped_ = true;
  thread_.stop();
  std::lock_guard lock(work_mutex_);
  std::vector<CameraId> given;
  for (const auto& [camera, why] : running_) {
    (void)engine_.stop_camera(camera, "node stopping");
    given.push_back(camera);
  }
  running_.clear();
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    for (const auto& camera : given) {
      VIGIE_ASSIGN_OR_RETURN(auto released, tx.release_camera(camera, options_.node));
      if (!released) continue;
      VIGIE_RETURN_IF_ERROR(
          tx.journal({wall_ms(),
                      "system",
                      "lease.released",
                      {{"camera", camera}, {"node", options_.node}, {"reason", "node stopping"}}}));
    }
    VIGIE_RETURN_IF_ERROR(tx.remove_node(options_.node, false));
    return tx.journal({wall_ms(), "system", "node.left",
                       {{"node", options_.node}, {"reason", "stopped"}}})
        .status();
  });
  // The leases then expire by themselves: other nodes take the cameras a little later.
  if (!s.is_ok()) spdlog::error("leases: cannot give this node's leases back: {}", s.to_string());
  for (const auto& camera : given) {
    if (on_change_) on_change_(camera, false);
  }
}

void CameraLeases::run(const std::stop_token& stop) {
  const auto period = std::chrono::duration<double>(options_.heartbeat_s);
  while (!stop.stop_requested()) {
    try {
      std::lock_guard lock(work_mutex_);
      tick();
    } catch (const std::exception& e) {
      errors_.warn(std::string("heartbeat failed: ") + e.what());
    }
    sleep_for(stop, period);
  }
}

void CameraLeases::tick() {
  const auto sent = std::chrono::steady_clock::now();
  auto board = store_.heartbeat(options_.node, options_.api, options_.lease_s, offered());
  if (!board.is_ok()) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.heartbeat_failures;
    }
    errors_.warn("heartbeat failed: " + board.status().to_string());
    // Stop before the database can hand the cameras to another node.
    const double since = std::chrono::duration<double>(sent - renewed_at_).count();
    if (!running_.empty() && since > options_.lease_s - options_.heartbeat_s) {
      stop_all("lease not renewed: " + board.status().message());
    }
    return;
  }
  renewed_at_ = sent;
  ++ticks_;
  {
    std::lock_guard lock(mutex_);
    ++counters_.heartbeats;
    holders_.clear();
    for (const auto& l : board->leases) {
      if (l.live) holders_[l.camera] = l.node;
    }
  }
  drop_lost(*board);
  give_back_unrun(*board);
  note_differences(*board);
  forget_dead_nodes(*board);
  // The first heartbeat only registers: nodes starting together then see each other before
  // anyone claims, instead of the first taking everything and giving it back.
  if (ticks_ > 1) balance(*board);
}

void CameraLeases::stop_all(const std::string& why) {
  for (const auto& [camera, previous] : running_) {
    (void)engine_.stop_camera(camera, why);
    spdlog::warn("camera {}: stopped here, {}", camera, why);
    if (on_change_) on_change_(camera, false);
  }
  {
    std::lock_guard lock(mutex_);
    counters_.lost += running_.size();
  }
  running_.clear();
}

void CameraLeases::drop_lost(const storage::LeaseBoard& board) {
  std::set<CameraId> held;
  for (const auto& l : board.leases) {
    if (l.live && l.node == options_.node) held.insert(l.camera);
  }
  for (auto it = running_.begin(); it != running_.end();) {
    if (held.count(it->first) > 0) {
      ++it;
      continue;
    }
    const CameraId camera = it->first;
    std::string holder;
    for (const auto& l : board.leases) {
      if (l.camera == camera && l.live) holder = l.node;
    }
    (void)engine_.stop_camera(camera, holder.empty() ? "lease lost" : "leased to node " + holder);
    it = running_.erase(it);
    {
      std::lock_guard lock(mutex_);
      ++counters_.lost;
    }
    spdlog::warn("camera {}: lease lost{}", camera, holder.empty() ? "" : " to node " + holder);
    (void)journal("lease.lost", {{"camera", camera}, {"node", options_.node}, {"holder", holder}});
    if (on_change_) on_change_(camera, false);
  }
}

void CameraLeases::forget_dead_nodes(const storage::LeaseBoard& board) {
  for (const auto& n : board.nodes) {
    if (n.live || n.id == options_.node) continue;
    // Whoever removes the row journals it, once: the removal is conditional on expiry.
    Status s = store_.write([&](storage::Tx& tx) -> Status {
      auto removed = tx.remove_node(n.id, true);
      if (!removed.is_ok() || !*removed) return removed.status();
      spdlog::warn("node {} stopped heartbeating: its cameras go to the others", n.id);
      return tx.journal({wall_ms(), "system", "node.left",
                         {{"node", n.id}, {"reason", "heartbeat expired"}, {"by", options_.node}}})
          .status();
    });
    if (!s.is_ok()) errors_.warn("cannot remove node " + n.id + ": " + s.to_string());
  }
}

void CameraLeases::give_back_unrun(const storage::LeaseBoard& board) {
  // Every lease this node holds runs here (claims start the camera, reconfigure() gives back
  // what it stops), so one held but not run is left from before: a release this node could
  // not write, or its previous run's, when it started again under the same id before they
  // expired. Heartbeats would renew it forever: given back, the camera finds a node.
  for (const auto& l : board.leases) {
    if (l.live && l.node == options_.node && running_.count(l.camera) == 0) {
      release(l.camera, "held but not run by node " + options_.node);
    }
  }
}

void CameraLeases::note_differences(const storage::LeaseBoard& board) {
  // Which cameras only some live nodes list: said once each time it changes, not at every
  // heartbeat. What each node lists is journaled by itself (node.joined, node.cameras).
  std::map<CameraId, std::vector<std::string>> listed_by;
  std::size_t live = 0;
  for (const auto& n : board.nodes) {
    if (!n.live || n.id == options_.node) continue;
    ++live;
    for (const auto& [camera, weight] : n.cameras) listed_by[camera].push_back(n.id);
  }
  ++live;
  for (const auto& [camera, weight] : offered()) listed_by[camera].push_back(options_.node);
  std::string differing;
  for (const auto& [camera, nodes] : listed_by) {
    if (nodes.size() == live) continue;
    differing += fmt::format("{}{} (only on {})", differing.empty() ? "" : ", ", camera,
                             fmt::join(nodes, ", "));
  }
  if (differing == differing_) return;
  differing_ = differing;
  if (differing.empty()) {
    spdlog::info("leases: every live node lists the same cameras again");
  } else {
    spdlog::warn(
        "leases: the nodes' configurations list different cameras: {}; a camera runs only on "
        "a node that lists it",
        differing);
  }
}

void CameraLeases::balance(const storage::LeaseBoard& board) {
  // What each live node may run: its announced cameras; this node's own list as it is now.
  std::map<std::string, storage::NodeCameras> lists;
  for (const auto& n : board.nodes) {
    if (n.live && n.id != options_.node) lists[n.id] = n.cameras;
  }
  lists[options_.node] = offered();  // this node is live: it has just renewed
  // A camera's weight: this node's when it lists it, else the first listing node's.
  std::map<CameraId, double> weights;
  for (const auto& [node, list] : lists) weights.insert(list.begin(), list.end());
  for (const auto& [camera, w] : lists[options_.node]) weights[camera] = w;
  auto lists_camera = [&](const std::string& node, const CameraId& camera) {
    return lists[node].count(camera) > 0;
  };

  std::map<std::string, double> load;
  for (const auto& [node, list] : lists) load[node] = 0;
  std::set<CameraId> taken;
  std::vector<std::pair<storage::TimeMs, CameraId>> mine;
  for (const auto& l : board.leases) {
    if (!l.live) continue;
    taken.insert(l.camera);
    auto w = weights.find(l.camera);
    if (load.count(l.node) > 0) load[l.node] += w != weights.end() ? w->second : 1.0;
    if (l.node == options_.node && running_.count(l.camera) > 0) mine.emplace_back(l.acquired_ms, l.camera);
  }
  double total = 0;
  for (const auto& [camera, w] : weights) total += w;
  const double share = total / static_cast<double>(load.size());
  double& own = load[options_.node];

  // Claim free cameras of this node's list while below the share. With the same lists on
  // every node, some node always is while a camera is free; with different lists, a free
  // camera whose listing nodes are all at or above the share goes to the least loaded of
  // them (ties: the smallest id), so it is not left without a node.
  for (const auto& c : cameras_) {
    if (taken.count(c.id) > 0) continue;
    bool mine_to_take = own < share - kEpsilon;
    if (!mine_to_take) {
      mine_to_take = true;
      for (const auto& [node, l] : load) {
        if (node == options_.node || !lists_camera(node, c.id)) continue;
        const bool would_take = l < share - kEpsilon;
        const bool less_loaded = l < own - kEpsilon || (l <= own + kEpsilon && node < options_.node);
        if (would_take || less_loaded) mine_to_take = false;
      }
    }
    if (mine_to_take && claim(c.id)) own += c.weight;
  }
  // Give back the latest acquired while above the share and another node that lists the
  // camera is below it: it claims them at its next heartbeat.
  std::sort(mine.rbegin(), mine.rend());
  for (const auto& [acquired, camera] : mine) {
    const double w = weights[camera];
    if (own - w < share - kEpsilon) continue;
    auto under = std::find_if(load.begin(), load.end(), [&](const auto& n) {
      return n.first != options_.node && lists_camera(n.first, camera) &&
             n.second + w <= share + kEpsilon;
    });
    if (under == load.end()) continue;
    release(camera, "balance: node " + under->first + " has fewer cameras");
    own -= w;
    under->second += w;
  }
}

bool CameraLeases::claim(const CameraId& camera) {
  std::string previous;
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    VIGIE_ASSIGN_OR_RETURN(previous, tx.claim_camera(camera, options_.node, options_.lease_s));
    const bool takeover = !previous.empty() && previous != options_.node;
    return tx.journal({wall_ms(), "system", "lease.acquired",
                       {{"camera", camera},
                        {"node", options_.node},
                        {"previous", previous.empty() ? nlohmann::json() : nlohmann::json(previous)},
                        {"takeover", takeover}}})
        .status();
  });
  if (!s.is_ok()) {
    // Another node was quicker: not an error worth more than a debug line.
    if (s.code() != StatusCode::kFailedPrecondition) errors_.warn("claim " + camera + ": " + s.to_string());
    return false;
  }
  {
    std::lock_guard lock(mutex_);
    ++counters_.acquired;
    if (!previous.empty() && previous != options_.node) ++counters_.taken_over;
    holders_[camera] = options_.node;
  }
  if (on_change_) on_change_(camera, true);
  if (Status started = engine_.start_camera(camera); !started.is_ok()) {
    spdlog::error("camera {}: leased here but cannot start: {}", camera, started.to_string());
    release(camera, "cannot start: " + started.message());
    return false;
  }
  running_[camera] = previous;
  spdlog::info("camera {}: leased to this node{}", camera,
               previous.empty() || previous == options_.node ? "" : " (taken over from node " + previous + ")");
  return true;
}

void CameraLeases::release(const CameraId& camera, const std::string& why) {
  // Stopped first: the camera never runs on two nodes at once.
  (void)engine_.stop_camera(camera, why);
  running_.erase(camera);
  Status s = store_.write([&](storage::Tx& tx) -> Status {
    VIGIE_RETURN_IF_ERROR(tx.release_camera(camera, options_.node));
    return tx.journal({wall_ms(), "system", "lease.released",
                       {{"camera", camera}, {"node", options_.node}, {"reason", why}}})
        .status();
  });
  // Not given back: the next heartbeat finds it held but not run, and gives it back then.
  if (!s.is_ok()) errors_.warn("release " + camera + ": " + s.to_string());
  {
    std::lock_guard lock(mutex_);
    ++counters_.released;
    holders_.erase(camera);
  }
  if (on_change_) on_change_(camera, false);
}

std::map<CameraId, std::string> CameraLeases::holders() const {
  std::lock_guard lock(mutex_);
  return holders_;
}

LeaseCounters CameraLeases::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

}  // namespace vigie::engine
