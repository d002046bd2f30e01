#pragma once
// Camera leases in PostgreSQL: the statements behind Tx::claim_camera, release_camera,
// remove_node and Store::heartbeat. Every time is the database's clock in milliseconds
// (kNowMs), never a node's: nodes whose clocks disagree still agree on expiry. Internal to
// the storage module.

#include <string>

#include <pqxx/pqxx>

#include "core/status.hpp"
#include "storage/store.hpp"

namespace vigie::storage::pg {

/// Claims inside a write transaction (the write lock serialises claims). Throws as libpqxx.
Result<std::string> claim_camera(pqxx::transaction_base& w, const CameraId& camera,
                                 const std::string& node, double lease_s);
bool release_camera(pqxx::transaction_base& w, const CameraId& camera, const std::string& node);
bool remove_node(pqxx::transaction_base& w, const std::string& node, bool only_if_expired);
/// Marks the node alive, renews its leases and reads the board, in one transaction.
LeaseBoard heartbeat(pqxx::transaction_base& w, const std::string& node, const std::string& api,
                     double lease_s, const NodeCameras& cameras);

}  // namespace vigie::storage::pg
