#pragma once
// What the API's route handlers share: the server's dependencies and state (sessions, login
// throttle, event hub, connection caps, counters) and the helpers that read requests and write
// responses. Each route group adds its handlers to a HandlerMap (the add_*_routes functions
// below, one file each); api_server.cpp registers them from the route table (routes.hpp) and
// checks sessions and roles before any handler runs. Handlers run on the server's request
// threads, concurrently: what they touch here is thread-safe or guarded as said.

#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/api_server.hpp"
#include "api/auth.hpp"
#include "api/connections.hpp"
#include "api/events.hpp"
#include "core/prometheus.hpp"
#include "core/status.hpp"

namespace vigie::api {

using Json = nlohmann::json;
using httplib::Request;
using httplib::Response;

/// The session cookie's name.
inline constexpr const char* kCookieName = "vigie_session";
/// The most alerts one page of GET /api/v1/alerts (and of the statistics' scan) holds.
inline constexpr int kMaxAlertPage = 500;

/// The server's state as its handlers see it. One per server; it outlives every request.
struct RouteContext {
  RouteContext(ApiDeps deps, config::ApiConfig config);
  RouteContext(const RouteContext&) = delete;
  RouteContext& operator=(const RouteContext&) = delete;

  ApiDeps d;
  config::ApiConfig cfg;
  bool tls = false;  ///< set by start() before any request
  SessionTable sessions;
  LoginThrottle throttle;
  EventHub hub;
  ConnectionLimits limits;
  ConnectionRegistry connections;

  std::atomic<std::uint64_t> logins_ok{0};
  std::atomic<std::uint64_t> logins_failed{0};
  std::atomic<std::uint64_t> logins_refused{0};
  std::atomic<std::uint64_t> logins_busy{0};
  /// Guards event_counts and responses.
  std::mutex counts_mutex;
  Histogram stored_latency{seconds_buckets()};  ///< alerts raised -> stored and journaled
  Histogram pushed_latency{seconds_buckets()};  ///< alerts raised -> written to a live push
  /// Alert changes by action, type and calibration.
  std::map<std::tuple<std::string, std::string, bool>, std::uint64_t> event_counts;
  /// Responses by status class ("2xx").
  std::map<std::string, std::uint64_t> responses;

  /// The injected clock's wall time, in milliseconds since 1970.
  [[nodiscard]] storage::TimeMs now_ms() const;
  /// Appends one record to the journal, now.
  Status journal(const std::string& actor, const std::string& action, Json detail);
  /// The alert when it exists and `who` may see it; otherwise the response is sent.
  std::optional<storage::AlertRecord> visible_alert(std::int64_t id, const Principal& who,
                                                    Response& res);
  /// Every configured camera with its health; empty without an engine view.
  [[nodiscard]] std::vector<CameraView> cameras() const;
  /// Seconds from the frame that completed an alert's event to now (never negative).
  [[nodiscard]] double alert_age_s(const storage::AlertRecord& a) const;
};

/// A route's handler: the request, the response to fill and the caller (on a public route,
/// an empty principal).
using Handler = std::function<void(const Request&, Response&, const Principal&)>;
/// Handlers by "METHOD /path", the path in the route table's OpenAPI form.
using HandlerMap = std::map<std::string, Handler>;
/// A handler written as a function of the context.
using RouteFunction = void (*)(RouteContext&, const Request&, Response&, const Principal&);

/// The handler that calls `f` with `ctx`.
Handler bind_route(RouteContext& ctx, RouteFunction f);

/// `j` as compact JSON; invalid UTF-8 is replaced, never thrown on.
std::string dump(const Json& j);
/// A JSON response, never cached unless the handler set Cache-Control.
void send_json(Response& res, const Json& body, int status = 200);
/// The API's error body: {"error": {"code", "message"}}.
void send_error(Response& res, int status, std::string_view code, const std::string& message);
/// A failed Status as an error response, its code mapped to an HTTP status.
void send_status(Response& res, const Status& s);
/// 400 invalid_argument naming every field that is wrong: {"error": {"code", "message",
/// "errors": [{"path", "message"}]}}, the message joining them all.
void send_field_errors(Response& res, const std::vector<FieldError>& errors);

/// A whole decimal integer, or nothing.
std::optional<std::int64_t> parse_int(std::string_view text);
/// A path parameter captured by the route's pattern, as a positive id.
Result<std::int64_t> id_match(const Request& req, std::size_t index, std::string_view what);
/// An optional integer query parameter within [lo, hi].
Result<std::optional<std::int64_t>> int_param(const Request& req, const char* name, std::int64_t lo,
                                              std::int64_t hi);
/// An optional time query parameter: ISO 8601 or milliseconds since the Unix epoch.
Result<std::optional<storage::TimeMs>> time_param(const Request& req, const char* name);
/// The body as a JSON object; an empty body is an empty object. Every route reads its body
/// here, so the nesting bound holds for all of them.
Result<Json> parse_body(const Request& req, int max_depth);
/// A string field of a body; absent or null gives "" unless `required`.
Result<std::string> string_field(const Json& body, const char* key, bool required,
                                 std::size_t max_length = 4096);
/// A field that must be an array of strings.
Result<std::vector<std::string>> strings_field(const Json& body, const char* key);

/// The session token of a request: a bearer token, else the session cookie.
std::string request_token(const Request& req);
/// Whether a role sees calibration alerts.
bool sees_calibration(govern::Role role);

/// POST /api/v1/login, POST /api/v1/logout, GET /api/v1/me (session_routes.cpp).
void add_session_routes(RouteContext& ctx, HandlerMap& routes);
/// Cameras, their live frame and geometry, and GET /api/v1/system (camera_routes.cpp).
void add_camera_routes(RouteContext& ctx, HandlerMap& routes);
/// Alerts, their workflow, comments and evidence, and the verdict reasons (alert_routes.cpp).
void add_alert_routes(RouteContext& ctx, HandlerMap& routes);
/// The console's settings and mute (console_routes.cpp).
void add_console_routes(RouteContext& ctx, HandlerMap& routes);
/// Authorizations, the stop, the resume and the configuration reload (governance_routes.cpp).
void add_governance_routes(RouteContext& ctx, HandlerMap& routes);
/// The journal and its verification (journal_routes.cpp).
void add_journal_routes(RouteContext& ctx, HandlerMap& routes);
/// GET /api/v1/stats (stats_routes.cpp).
void add_stats_routes(RouteContext& ctx, HandlerMap& routes);
/// Users (user_routes.cpp).
void add_user_routes(RouteContext& ctx, HandlerMap& routes);
/// The live event stream, GET /api/v1/events (event_routes.cpp).
void add_event_routes(RouteContext& ctx, HandlerMap& routes);
/// /metrics, /healthz, the transparency page and its data, the console's placeholder page
/// (public_routes.cpp).
void add_public_routes(RouteContext& ctx, HandlerMap& routes);

}  // namespace vigie::api
