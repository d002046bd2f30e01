#include "storage/postgres_leases.hpp"

#include <cmath>

#include <nlohmann/json.hpp>

#include "storage/postgres_rows.hpp"

namespace vigie::storage::pg {
namespace {

/// The database's clock, ms since the epoch; clock_timestamp() rather than now(), which is
/// the transaction's start and may be late when the transaction waited for the write lock.
constexpr const char* kNowMs = "(extract(epoch from clock_timestamp()) * 1000)::bigint";

std::int64_t lease_ms(double lease_s) {
  return static_cast<std::int64_t>(std::llround(lease_s * 1000.0));
}

std::string cameras_json(const NodeCameras& cameras) {
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [camera, weight] : cameras) j[camera] = weight;
  return j.dump();
}

// Another node's announcement; one that cannot be read announces nothing (it claims
// nothing by this node's reckoning, and still runs what it holds).
NodeCameras parse_cameras(const std::string& text) {
  NodeCameras out;
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object()) return out;
  for (const auto& [camera, weight] : j.items()) {
    if (weight.is_number()) out[camera] = weight.get<double>();
  }
  return out;
}

}  // namespace

Result<std::string> claim_camera(pqxx::transaction_base& w, const CameraId& camera,
                                 const std::string& node, double lease_s) {
  const std::string now = kNowMs;
  // FOR UPDATE: the row (if any) is ours until commit; claims are serialised by the write
  // lock already, renewals (heartbeat) are not and must not extend a lease we take over.
  const auto held = exec(w,
                         "SELECT node, expires_ms > " + now +
                             " FROM camera_leases WHERE camera = $1 FOR UPDATE",
                         Params().add(camera));
  std::string previous;
  if (!held.empty()) {
    previous = text(held[0][0]);
    const bool live = boolean(held[0][1]);
    if (live && previous != node) {
      return Status(StatusCode::kFailedPrecondition,
                    "camera " + camera + " is leased to node " + previous);
    }
  }
  exec(w,
       "INSERT INTO camera_leases (camera, node, acquired_ms, expires_ms) VALUES ($1, $2, " +
           now + ", " + now + " + $3) ON CONFLICT (camera) DO UPDATE SET node = excluded.node, "
           "acquired_ms = CASE WHEN camera_leases.node = excluded.node "
           "THEN camera_leases.acquired_ms ELSE excluded.acquired_ms END, "
           "expires_ms = excluded.expires_ms",
       Params().add(camera).add(node).add(lease_ms(lease_s)));
  return previous;
}

bool release_camera(pqxx::transaction_base& w, const CameraId& camera, const std::string& node) {
  return exec(w, "DELETE FROM camera_leases WHERE camera = $1 AND node = $2",
              Params().add(camera).add(node))
             .affected_rows() > 0;
}

bool remove_node(pqxx::transaction_base& w, const std::string& node, bool only_if_expired) {
  const std::string expired =
      only_if_expired ? std::string(" AND expires_ms <= ") + kNowMs : std::string();
  const auto removed =
      exec(w, "DELETE FROM nodes WHERE id = $1" + expired, Params().add(node)).affected_rows();
  if (!only_if_expired) {
    exec(w, "DELETE FROM camera_leases WHERE node = $1", Params().add(node));
  }
  return removed > 0;
}

LeaseBoard heartbeat(pqxx::transaction_base& w, const std::string& node, const std::string& api,
                     double lease_s, const NodeCameras& cameras) {
  const std::string now = kNowMs;
  const Params p =
      Params().add(node).add(api).add(lease_ms(lease_s)).add(cameras_json(cameras));
  exec(w,
       "INSERT INTO nodes (id, api, joined_ms, heartbeat_ms, expires_ms, cameras) VALUES ($1, $2, " +
           now + ", " + now + ", " + now + " + $3, $4) ON CONFLICT (id) DO UPDATE SET "
           "api = excluded.api, heartbeat_ms = excluded.heartbeat_ms, "
           "expires_ms = excluded.expires_ms, cameras = excluded.cameras",
       p);
  // Only unexpired leases are renewed: one that expired may already be another node's
  // (claims check expiry under the write lock), and this node must take it again by a claim.
  exec(w,
       "UPDATE camera_leases SET expires_ms = " + now +
           " + $2 WHERE node = $1 AND expires_ms > " + now,
       Params().add(node).add(lease_ms(lease_s)));
  LeaseBoard board;
  for (const auto& r :
       exec(w, "SELECT id, api, expires_ms > " + now + ", cameras FROM nodes ORDER BY id")) {
    board.nodes.push_back({text(r[0]), text(r[1]), boolean(r[2]), parse_cameras(text(r[3]))});
  }
  for (const auto& r : exec(w, "SELECT camera, node, expires_ms > " + now +
                                   ", acquired_ms FROM camera_leases ORDER BY camera")) {
    board.leases.push_back({text(r[0]), text(r[1]), boolean(r[2]), i64(r[3])});
  }
  return board;
}

}  // namespace vigie::storage::pg
