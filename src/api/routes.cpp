#include "api/routes.hpp"

namespace vigie::api {
namespace {

constexpr unsigned kOp = kOperatorBit;
constexpr unsigned kSup = kSupervisorBit;
constexpr unsigned kAud = kAuditorBit;
constexpr unsigned kAdm = kAdminBit;
constexpr unsigned kPublic = 0;

}  // namespace

unsigned role_bit(govern::Role role) {
  switch (role) {
    case govern::Role::kOperator: return kOperatorBit;
    case govern::Role::kSupervisor: return kSupervisorBit;
    case govern::Role::kAuditor: return kAuditorBit;
    case govern::Role::kAdmin: return kAdminBit;
  }
  return 0;
}

// Who may do what follows docs/legal.md: operators see and qualify alerts; supervisors stop,
// resume, manage authorizations and may see unmasked evidence (checked in the handler);
// auditors read the journal and statistics; admins manage users. Anyone on duty may stop
// analysis (the safe direction); only a supervisor resumes it.
const std::vector<RouteSpec>& route_table() {
  static const std::vector<RouteSpec> table = {
      {"POST", "/api/v1/login", kPublic, "Open a session"},
      {"POST", "/api/v1/logout", kAnyRole, "Close the session"},
      {"GET", "/api/v1/me", kAnyRole, "The session's user and role"},
      {"GET", "/api/v1/cameras", kAnyRole, "Cameras with health and permit"},
      {"GET", "/api/v1/cameras/{id}", kAnyRole, "One camera"},
      {"GET", "/api/v1/cameras/{id}/frame.jpg", kOp | kSup,
       "Latest analysed frame, persons pixelated, privacy masks burned in (JPEG)"},
      {"GET", "/api/v1/cameras/{id}/geometry", kOp | kSup | kAud,
       "Zones, tripwires, calibration and privacy masks of a camera"},
      {"PUT", "/api/v1/cameras/{id}/geometry", kSup,
       "Change a camera's geometry (validated, stored, journaled, applied)"},
      {"POST", "/api/v1/cameras/{id}/accept-view", kSup,
       "Accept a camera's changed view as its new reference (its rules run again)"},
      {"GET", "/api/v1/system", kSup | kAud | kAdm, "Process and camera figures"},
      {"GET", "/api/v1/alerts", kOp | kSup | kAud, "List alerts, newest first"},
      {"GET", "/api/v1/alerts/{id}", kOp | kSup | kAud, "One alert with comments and evidence"},
      {"POST", "/api/v1/alerts/{id}/seen", kOp | kSup, "Mark an alert seen"},
      {"POST", "/api/v1/alerts/{id}/verdict", kOp | kSup, "Confirm or dismiss an alert"},
      {"POST", "/api/v1/alerts/{id}/undo", kOp | kSup,
       "Take back one's own verdict within the undo window"},
      {"POST", "/api/v1/alerts/{id}/comments", kOp | kSup, "Comment on an alert"},
      {"POST", "/api/v1/alerts/{id}/assign", kOp | kSup, "Assign an alert"},
      {"POST", "/api/v1/alerts/{id}/close", kOp | kSup, "Close an alert"},
      {"GET", "/api/v1/alerts/{id}/evidence/{eid}", kOp | kSup, "An evidence file"},
      {"GET", "/api/v1/reasons", kOp | kSup | kAud, "Dismissal reason codes"},
      {"GET", "/api/v1/console", kOp | kSup | kAud,
       "Console settings: escalation, muting, undo window, reasons, measures"},
      {"POST", "/api/v1/console/mute", kOp | kSup, "Mute or unmute a non-critical alert type"},
      {"GET", "/api/v1/authorizations", kSup | kAud | kAdm, "Authorizations"},
      {"POST", "/api/v1/authorizations", kSup | kAdm, "Add or replace an authorization"},
      {"DELETE", "/api/v1/authorizations/{reference}", kSup | kAdm, "Revoke an authorization"},
      {"GET", "/api/v1/stop", kAnyRole, "Stop state"},
      {"POST", "/api/v1/stop", kOp | kSup, "Stop analysis everywhere or on one camera"},
      {"POST", "/api/v1/resume", kSup, "Resume analysis"},
      {"POST", "/api/v1/reload", kSup,
       "Read the configuration file again and apply it between two frames"},
      {"GET", "/api/v1/journal", kAud | kAdm, "Read the journal"},
      {"GET", "/api/v1/journal/verify", kAud | kAdm, "Verify the journal's hash chain"},
      {"GET", "/api/v1/stats", kSup | kAud, "Alert statistics and operator precision"},
      {"GET", "/api/v1/users", kAdm, "List users"},
      {"POST", "/api/v1/users", kAdm, "Create a user"},
      {"PATCH", "/api/v1/users/{name}", kAdm, "Change a user"},
      {"GET", "/api/v1/events", kOp | kSup | kAud, "Live alert events (Server-Sent Events)"},
      {"GET", "/metrics", kPublic, "Prometheus metrics (loopback only unless configured)"},
      {"GET", "/healthz", kPublic, "Liveness"},
      {"GET", "/transparency", kPublic, "Public information page (HTML)"},
      {"GET", "/transparency.json", kPublic, "Public information (JSON)"},
      {"GET", "/", kPublic, "The console"},
  };
  return table;
}

std::string path_pattern(std::string_view openapi_path) {
  std::string out;
  for (std::size_t i = 0; i < openapi_path.size(); ++i) {
    if (openapi_path[i] == '{') {
      const auto end = openapi_path.find('}', i);
      out += "([^/]+)";
      i = end;
    } else if (openapi_path[i] == '.') {
      out += "\\.";
    } else {
      out += openapi_path[i];
    }
  }
  return out;
}

}  // namespace vigie::api
