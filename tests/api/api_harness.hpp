#pragma once
// A whole API on 127.0.0.1 with a free port: a SQLite store in a temporary folder,
// the alert service, governance, users of every role, two cameras, evidence files.

#include <httplib.h>

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/alert_service.hpp"
#include "api/api_server.hpp"
#include "core/clock.hpp"
#include "govern/governance.hpp"
#include "govern/users.hpp"
#include "storage/store.hpp"

namespace vigie::testing {

inline constexpr const char* kPassword = "correct-horse-battery";

struct HarnessOptions {
  std::string tls_cert;
  std::string tls_key;
  double sse_heartbeat_s = 0.1;
  std::size_t sse_queue_events = 512;
  /// Serve camera geometry with a stand-in that accepts any geometry and echoes it.
  bool geometry = false;
  /// The user directory's password hashing pool (tests hold or count its jobs).
  govern::HashPoolOptions hash_pool = {
      .threads = 2, .queue = 64, .max_wait_s = 60, .before_each = {}};
  /// The clock of the store, the alert service, governance and the server; null: the
  /// system's. Must outlive the harness.
  const Clock* clock = nullptr;
  /// The alert service's options (undo window, measures per type).
  alerts::AlertServiceOptions alert_options = {};
  /// cam-a is live, analysed at 5 fps; it is configured for this rate.
  double cam_a_target_fps = 5;
  /// api.metrics_token: empty, none.
  std::string metrics_token;
  /// Adjusts the server's options after the harness set its own.
  std::function<void(api::ApiOptions&)> tune;
};

class ApiHarness {
 public:
  explicit ApiHarness(HarnessOptions options = {});
  ~ApiHarness();

  [[nodiscard]] int port() const { return server->port(); }
  /// A client of the server (plain HTTP).
  [[nodiscard]] std::unique_ptr<httplib::Client> client() const;
  /// Logs in `user` (op, sup, aud, adm) and returns the bearer token.
  std::string login(const std::string& user) const;
  /// An alert raised on `camera`, through the alert service.
  storage::AlertRecord raise(const std::string& camera, EventType type, bool calibration = false);
  /// Stores a masked snapshot (and its unmasked rendering beside it) for an alert, as written
  /// by `node` ("": a record from before nodes were recorded).
  storage::EvidenceRecord add_snapshot(std::int64_t alert_id, const std::string& content,
                                       const std::string& node = "");

  std::filesystem::path dir;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<alerts::AlertService> alerts;
  std::unique_ptr<govern::Governance> governance;
  std::unique_ptr<govern::UserDirectory> users;
  std::unique_ptr<api::ApiServer> server;
  int raised = 0;
};

/// Authorization header for a token.
httplib::Headers bearer(const std::string& token);
/// Parses a response body as JSON (null when it is not).
nlohmann::json body_json(const httplib::Result& r);

}  // namespace vigie::testing
