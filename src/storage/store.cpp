// The defaults of the lease operations: only stores shared by several nodes have leases.

#include "storage/store.hpp"

namespace vigie::storage {
namespace {
Status no_leases() {
  return Status(StatusCode::kUnimplemented, "camera leases need the postgres backend");
}
}  // namespace

Result<std::string> Tx::claim_camera(const CameraId&, const std::string&, double) {
  return no_leases();
}
Result<bool> Tx::release_camera(const CameraId&, const std::string&) { return no_leases(); }
Result<bool> Tx::remove_node(const std::string&, bool) { return no_leases(); }
Result<LeaseBoard> Store::heartbeat(const std::string&, const std::string&, double,
                                    const NodeCameras&) {
  return no_leases();
}

}  // namespace vigie::storage
