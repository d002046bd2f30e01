#include "api/route_context.hpp"

#include <algorithm>
#include <charconv>
#include <utility>

#include "api/json_body.hpp"
#include "api/views.hpp"
#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

int http_status(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kCancelled: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 503;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kDataLoss: return 500;
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

std::string cookie_value(const Request& req, const std::string& name) {
  const std::string header = req.get_header_value("Cookie");
  std::size_t pos = 0;
  while (pos < header.size()) {
    std::size_t end = header.find(';', pos);
    if (end == std::string::npos) end = header.size();
    std::string part = header.substr(pos, end - pos);
    const auto first = part.find_first_not_of(' ');
    if (first != std::string::npos) part = part.substr(first);
    if (part.rfind(name + "=", 0) == 0) return part.substr(name.size() + 1);
    pos = end + 1;
  }
  return {};
}

}  // namespace

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_json(Response& res, const Json& body, int status) {
  res.status = status;
  // Alerts, users and the journal are personal data: no cache keeps a copy.
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  res.set_content(dump(body), "application/json");
}

void send_error(Response& res, int status, std::string_view code, const std::string& message) {
  send_json(res, {{"error", {{"code", code}, {"message", message}}}}, status);
}

void send_field_errors(Response& res, const std::vector<FieldError>& errors) {
  Json list = Json::array();
  std::string message;
  for (const auto& e : errors) {
    list.push_back({{"path", e.path}, {"message", e.message}});
    if (!message.empty()) message += "; ";
    message += e.path + ": " + e.message;
  }
  send_json(res,
            {{"error", {{"code", "invalid_argument"}, {"message", message}, {"errors", list}}}},
            400);
}

void send_status(Response& res, const Status& s) {
  // Unavailable means "retry": say when (password checks busy, the store briefly away).
  if (s.code() == StatusCode::kUnavailable) res.set_header("Retry-After", "1");
  send_error(res, http_status(s.code()), to_string(s.code()), s.message());
}

std::optional<std::int64_t> parse_int(std::string_view text) {
  std::int64_t v = 0;
  const auto* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || p != end || text.empty()) return std::nullopt;
  return v;
}

/// A path parameter captured by the route's pattern, as an id.
Result<std::int64_t> id_match(const Request& req, std::size_t index, std::string_view what) {
  if (req.matches.size() <= index) return internal_error("route without parameter");
  auto v = parse_int(req.matches[index].str());
  if (!v || *v <= 0) return invalid_argument(std::string(what) + " must be a positive integer");
  return *v;
}

Result<std::optional<std::int64_t>> int_param(const Request& req, const char* name, std::int64_t lo,
                                              std::int64_t hi) {
  if (!req.has_param(name)) return std::optional<std::int64_t>();
  auto v = parse_int(req.get_param_value(name));
  if (!v || *v < lo || *v > hi) {
    return invalid_argument(std::string("parameter '") + name + "' must be an integer in [" +
                            std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return std::optional<std::int64_t>(*v);
}

/// A time given as ISO 8601 or as milliseconds since the Unix epoch.
Result<std::optional<storage::TimeMs>> time_param(const Request& req, const char* name) {
  if (!req.has_param(name)) return std::optional<storage::TimeMs>();
  const std::string text = req.get_param_value(name);
  if (auto ms = parse_int(text)) return std::optional<storage::TimeMs>(*ms);
  if (auto t = parse_iso8601(text)) return std::optional<storage::TimeMs>(unix_ms(*t));
  return invalid_argument(std::string("parameter '") + name +
                          "' must be ISO 8601 with an offset, or milliseconds since 1970");
}

/// The body as a JSON object; an empty body is an empty object. Every route reads its body
/// here, so the nesting bound holds for all of them.
Result<Json> parse_body(const Request& req, int max_depth) {
  if (req.body.empty()) return Json::object();
  VIGIE_ASSIGN_OR_RETURN(Json j, parse_json_body(req.body, max_depth));
  if (!j.is_object()) return invalid_argument("the body must be a JSON object");
  return j;
}

Result<std::string> string_field(const Json& body, const char* key, bool required,
                                 std::size_t max_length) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return invalid_argument(std::string("field '") + key + "' is required");
    return std::string();
  }
  if (!it->is_string())
    return invalid_argument(std::string("field '") + key + "' must be a string");
  std::string v = it->get<std::string>();
  if (v.size() > max_length)
    return invalid_argument(std::string("field '") + key + "' is too long");
  return v;
}

Result<std::vector<std::string>> strings_field(const Json& body, const char* key) {
  auto it = body.find(key);
  if (it == body.end() || !it->is_array()) {
    return invalid_argument(std::string("field '") + key + "' must be an array of strings");
  }
  std::vector<std::string> out;
  for (const auto& v : *it) {
    if (!v.is_string()) {
      return invalid_argument(std::string("field '") + key + "' must be an array of strings");
    }
    out.push_back(v.get<std::string>());
  }
  return out;
}

std::string request_token(const Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  return cookie_value(req, kCookieName);
}

bool sees_calibration(govern::Role role) {
  return role == govern::Role::kSupervisor || role == govern::Role::kAuditor;
}

RouteContext::RouteContext(ApiDeps deps, config::ApiConfig config)
    : d(std::move(deps)),
      cfg(std::move(config)),
      sessions(d.clock, d.options.session_idle_s),
      throttle(d.clock, d.options.login_free_failures, d.options.login_lock_base_s,
               d.options.login_lock_max_s),
      hub(d.options.sse_queue_events, d.options.max_sse_clients),
      limits{.header_timeout_s = d.options.header_timeout_s,
             .body_timeout_s = d.options.body_timeout_s,
             .keep_alive_s = d.options.keep_alive_s,
             .max_connections = d.options.max_connections,
             .max_per_address = d.options.max_connections_per_address,
             .max_streams = d.options.max_sse_clients},
      connections(limits) {}

storage::TimeMs RouteContext::now_ms() const {
  return unix_ms(d.clock.wall_now());
}

Status RouteContext::journal(const std::string& actor, const std::string& action, Json detail) {
  storage::JournalDraft draft;
  draft.at_ms = now_ms();
  draft.actor = actor;
  draft.action = action;
  draft.detail = std::move(detail);
  return d.store.write([&](storage::Tx& tx) { return tx.journal(draft).status(); });
}

std::optional<storage::AlertRecord> RouteContext::visible_alert(std::int64_t id,
                                                                const Principal& who,
                                                                Response& res) {
  auto found = d.store.alert(id);
  if (!found) {
    send_status(res, found.status());
    return std::nullopt;
  }
  if (!found->has_value() || ((*found)->calibration && !sees_calibration(who.role))) {
    send_error(res, 404, "not_found", "no alert " + std::to_string(id));
    return std::nullopt;
  }
  return **found;
}

std::vector<CameraView> RouteContext::cameras() const {
  return d.cameras ? d.cameras() : std::vector<CameraView>{};
}

double RouteContext::alert_age_s(const storage::AlertRecord& a) const {
  return std::max<double>(0, static_cast<double>(now_ms() - a.raised_ms) / 1000.0);
}

Handler bind_route(RouteContext& ctx, RouteFunction f) {
  return
      [&ctx, f](const Request& req, Response& res, const Principal& who) { f(ctx, req, res, who); };
}

}  // namespace vigie::api
