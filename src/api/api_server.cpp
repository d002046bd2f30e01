#include "api/api_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <openssl/crypto.h>
#include <spdlog/spdlog.h>

#include "api/auth.hpp"
#include "api/connections.hpp"
#include "api/events.hpp"
#include "api/json_body.hpp"
#include "api/routes.hpp"
#include "api/transparency.hpp"
#include "api/views.hpp"
#include "core/iso_time.hpp"
#include "core/process_usage.hpp"
#include "core/prometheus.hpp"
#include "core/redact.hpp"
#include "storage/journal_chain.hpp"

namespace vigie::api {
namespace {

using Json = nlohmann::json;
using httplib::Request;
using httplib::Response;

constexpr const char* kCookieName = "vigie_session";
constexpr int kMaxAlertPage = 500;
constexpr int kMaxJournalPage = 1000;
constexpr int kReplayPage = 200;
constexpr std::size_t kMaxStatsAlerts = 100000;

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

std::string dump(const Json& j) {
  return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

void send_json(Response& res, const Json& body, int status = 200) {
  res.status = status;
  // Alerts, users and the journal are personal data: no cache keeps a copy.
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  res.set_content(dump(body), "application/json");
}

/// Why a write authenticated by the session cookie may come from another site, or empty.
/// Browsers attach the cookie to any site's form post; such a post carries that site's
/// Origin, or, without one, a body a form can send (text/plain, url-encoded, multipart),
/// never JSON, which another site could only send after a preflight this server refuses.
std::string cross_site_write(const Request& req, bool tls) {
  if (req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS") return {};
  if (req.get_header_value("Authorization").rfind("Bearer ", 0) == 0) return {};
  const std::string origin = req.get_header_value("Origin");
  if (!origin.empty()) {
    const std::string own = std::string(tls ? "https://" : "http://") + req.get_header_value("Host");
    return origin == own ? std::string() : "the request comes from " + origin;
  }
  const std::string type = req.get_header_value("Content-Type");
  if (!req.body.empty() && type.rfind("application/json", 0) != 0) {
    return "a write with the session cookie must send JSON";
  }
  return {};
}

void send_error(Response& res, int status, std::string_view code, const std::string& message) {
  send_json(res, {{"error", {{"code", code}, {"message", message}}}}, status);
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

Result<std::optional<std::int64_t>> int_param(const Request& req, const char* name,
                                              std::int64_t lo, std::int64_t hi) {
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
  auto j = parse_json_body(req.body, max_depth);
  if (!j) return j.status();
  if (!j->is_object()) return invalid_argument("the body must be a JSON object");
  return j;
}

Result<std::string> string_field(const Json& body, const char* key, bool required,
                                 std::size_t max_length = 4096) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return invalid_argument(std::string("field '") + key + "' is required");
    return std::string();
  }
  if (!it->is_string()) return invalid_argument(std::string("field '") + key + "' must be a string");
  std::string v = it->get<std::string>();
  if (v.size() > max_length) return invalid_argument(std::string("field '") + key + "' is too long");
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

std::string request_token(const Request& req) {
  const std::string auth = req.get_header_value("Authorization");
  if (auth.rfind("Bearer ", 0) == 0) return auth.substr(7);
  return cookie_value(req, kCookieName);
}

bool sees_calibration(govern::Role role) {
  return role == govern::Role::kSupervisor || role == govern::Role::kAuditor;
}

std::string content_type_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".mp4") return "video/mp4";
  return "application/octet-stream";
}

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/// One Server-Sent Event.
std::string sse_frame(std::int64_t seq, const std::string& action, const Json& data) {
  std::string out;
  if (seq > 0) out += "id: " + std::to_string(seq) + "\n";
  out += "event: " + action + "\n";
  out += "data: " + dump(data) + "\n\n";
  return out;
}

/// Alerts where a life may be at stake: their tone repeats until someone opens them, no
/// console may mute them, and they escalate when left waiting.
bool is_critical(EventType t) {
  return t == EventType::kWeapon || t == EventType::kFire || t == EventType::kPersonOnGround;
}

const char* kPlaceholderPage =
    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>vigie</title>"
    "</head>\n<body><h1>vigie</h1><p>La console n'est pas installée sur ce nœud. / The console "
    "is not installed on this node.</p><p>API: <code>/api/v1</code> &middot; "
    "<a href=\"/transparency\">Information du public / Public information</a></p></body>"
    "</html>\n";

}  // namespace

bool is_loopback_address(const std::string& address) {
  return address == "localhost" || address == "::1" || address == "[::1]" ||
         address.rfind("127.", 0) == 0;
}

struct ApiServer::Impl {
  using Handler = std::function<void(const Request&, Response&, const Principal&)>;

  /// The state of one event stream, touched only by the thread that writes it.
  struct Stream {
    std::shared_ptr<EventQueue> queue;
    bool sees_calibration = false;
    bool started = false;
    bool replaying = false;
    std::int64_t cursor = 0;     // replay: journal read up to here
    std::int64_t last_sent = 0;  // highest seq sent: later duplicates are skipped
    std::chrono::steady_clock::time_point last_write;
  };

  Impl(ApiDeps deps, config::ApiConfig config)
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

  ApiDeps d;
  config::ApiConfig cfg;
  std::unique_ptr<httplib::Server> server;
  std::thread thread;
  int port = 0;
  bool tls = false;
  int alert_token = 0;
  SessionTable sessions;
  LoginThrottle throttle;
  EventHub hub;
  ConnectionLimits limits;
  ConnectionRegistry connections;

  std::atomic<std::uint64_t> logins_ok{0};
  std::atomic<std::uint64_t> logins_failed{0};
  std::atomic<std::uint64_t> logins_refused{0};
  std::atomic<std::uint64_t> logins_busy{0};
  std::mutex counts_mutex;
  Histogram stored_latency{seconds_buckets()};  // alerts raised -> stored and journaled
  Histogram pushed_latency{seconds_buckets()};  // alerts raised -> written to a live push
  std::map<std::tuple<std::string, std::string, bool>, std::uint64_t> event_counts;
  std::map<std::string, std::uint64_t> responses;

  // ---- helpers --------------------------------------------------------------------------

  storage::TimeMs now_ms() const { return unix_ms(d.clock.wall_now()); }

  Status journal(const std::string& actor, const std::string& action, Json detail) {
    storage::JournalDraft draft;
    draft.at_ms = now_ms();
    draft.actor = actor;
    draft.action = action;
    draft.detail = std::move(detail);
    return d.store.write([&](storage::Tx& tx) { return tx.journal(draft).status(); });
  }

  std::optional<Principal> authenticate(const Request& req) {
    return sessions.find(request_token(req));
  }

  /// The alert when it exists and `who` may see it; otherwise the response is sent.
  std::optional<storage::AlertRecord> visible_alert(std::int64_t id, const Principal& who,
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

  std::vector<CameraView> cameras() const {
    return d.cameras ? d.cameras() : std::vector<CameraView>{};
  }

  // ---- sessions -------------------------------------------------------------------------

  void login(const Request& req, Response& res, const Principal&) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto name = string_field(*body, "user", true, 256);
    if (!name) return send_status(res, name.status());
    auto password = string_field(*body, "password", true, 4096);
    if (!password) return send_status(res, password.status());
    const std::vector<std::string> keys = {"user:" + *name, "addr:" + req.remote_addr};
    // Admitted and counted before the password is checked, so that parallel guesses are
    // refused here instead of all being checked.
    const double wait = throttle.admit(keys);
    if (wait > 0) {
      ++logins_refused;
      if (throttle.first_refusal(keys[0])) {
        (void)journal(*name, "login.failed",
                      {{"user", *name}, {"address", req.remote_addr}, {"reason", "rate_limited"}});
      }
      const auto retry = static_cast<long long>(wait + 0.999);
      res.set_header("Retry-After", std::to_string(retry));
      return send_error(res, 429, "resource_exhausted",
                        "too many failed logins: try again in " + std::to_string(retry) + " s");
    }
    // Whatever ends this attempt (an error, an exception) ends it in the throttle too.
    struct Attempt {
      LoginThrottle& throttle;
      const std::vector<std::string>& keys;
      LoginOutcome outcome = LoginOutcome::kAbandoned;
      ~Attempt() { throttle.finish(keys, outcome); }
    } attempt{throttle, keys};
    auto user = d.users.authenticate(*name, *password);
    if (!user) {
      if (user.status().code() != StatusCode::kInvalidArgument) {
        if (user.status().code() == StatusCode::kUnavailable) ++logins_busy;
        return send_status(res, user.status());
      }
      attempt.outcome = LoginOutcome::kFailed;
      ++logins_failed;
      (void)journal(*name, "login.failed",
                    {{"user", *name}, {"address", req.remote_addr},
                     {"reason", "wrong user name or password"}});
      return send_error(res, 401, "unauthenticated", "wrong user name or password");
    }
    auto role = govern::role_from_string(user->role);
    if (!role) return send_error(res, 500, "internal", "user has an unknown role");
    // The login counts only once journaled.
    if (Status s = journal(user->name, "login.ok",
                           {{"user", user->name}, {"address", req.remote_addr}});
        !s.is_ok()) {
      return send_status(res, s);
    }
    attempt.outcome = LoginOutcome::kSucceeded;
    ++logins_ok;
    const std::string token = sessions.open(Principal{user->name, *role});
    std::string cookie = std::string(kCookieName) + "=" + token +
                         "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                         std::to_string(static_cast<long long>(d.options.session_idle_s));
    if (tls) cookie += "; Secure";
    res.set_header("Set-Cookie", cookie);
    send_json(res, {{"token", token}, {"user", user->name}, {"role", user->role}});
  }

  void logout(const Request& req, Response& res, const Principal& who) {
    sessions.close(request_token(req));
    (void)journal(who.user, "logout", {{"user", who.user}});
    std::string cookie = std::string(kCookieName) +
                         "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
    if (tls) cookie += "; Secure";
    res.set_header("Set-Cookie", cookie);
    send_json(res, {{"ok", true}});
  }

  void me(const Request&, Response& res, const Principal& who) {
    send_json(res, {{"user", who.user}, {"role", std::string(govern::to_string(who.role))}});
  }

  // ---- cameras --------------------------------------------------------------------------

  void list_cameras(const Request&, Response& res, const Principal&) {
    Json out = Json::array();
    for (const auto& c : cameras()) out.push_back(camera_json(c, d.governance.permit(c.id)));
    send_json(res, {{"cameras", out}});
  }

  void get_camera(const Request& req, Response& res, const Principal&) {
    const std::string id = req.matches[1].str();
    for (const auto& c : cameras()) {
      if (c.id == id) return send_json(res, camera_json(c, d.governance.permit(c.id)));
    }
    send_error(res, 404, "not_found", "no camera '" + id + "'");
  }

  void camera_frame(const Request& req, Response& res, const Principal&) {
    const std::string id = req.matches[1].str();
    if (!d.camera_frame) {
      return send_error(res, 501, "unimplemented", "live frames are not available on this node");
    }
    auto jpeg = d.camera_frame(id);
    if (!jpeg) return send_status(res, jpeg.status());
    res.set_header("Cache-Control", "no-store");
    res.set_content(std::move(*jpeg), "image/jpeg");
  }

  void get_geometry(const Request& req, Response& res, const Principal&) {
    const std::string id = req.matches[1].str();
    if (!d.camera_geometry) {
      return send_error(res, 501, "unimplemented", "camera geometry is not available on this node");
    }
    auto g = d.camera_geometry(id);
    if (!g) return send_status(res, g.status());
    send_json(res, *g);
  }

  void put_geometry(const Request& req, Response& res, const Principal& who) {
    const std::string id = req.matches[1].str();
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    if (!d.set_camera_geometry) {
      return send_error(res, 501, "unimplemented", "camera geometry is not available on this node");
    }
    const std::string flag = req.get_param_value("dry_run");
    const bool dry_run = flag == "1" || flag == "true";
    // Only the geometry's keys; what the GET adds (sizes, who changed it) is ignored.
    Json geometry = Json::object();
    for (const char* key : {"zones", "lines", "calibration", "privacy_masks"}) {
      if (body->contains(key)) geometry[key] = (*body)[key];
    }
    for (const auto& [key, value] : body->items()) {
      if (key == "zones" || key == "lines" || key == "calibration" || key == "privacy_masks" ||
          key == "camera" || key == "source_width" || key == "source_height" ||
          key == "updated_ms" || key == "updated_by") {
        continue;
      }
      return send_json(res,
                       {{"error", {{"code", "invalid_argument"},
                                   {"message", key + ": unknown key"},
                                   {"errors", Json::array({{{"path", key},
                                                            {"message", "unknown key"}}})}}}},
                       400);
    }
    GeometryChange change = d.set_camera_geometry(id, geometry, who.user, dry_run);
    if (!change.errors.empty()) {
      Json errors = Json::array();
      std::string message;
      for (const auto& e : change.errors) {
        errors.push_back({{"path", e.path}, {"message", e.message}});
        if (!message.empty()) message += "; ";
        message += e.path + ": " + e.message;
      }
      return send_json(
          res, {{"error", {{"code", "invalid_argument"}, {"message", message}, {"errors", errors}}}},
          400);
    }
    if (!change.status.is_ok()) return send_status(res, change.status);
    send_json(res, {{"camera", id},
                    {"dry_run", dry_run},
                    {"before", change.before},
                    {"after", change.after}});
  }

  void system(const Request&, Response& res, const Principal&) {
    Json out = d.system ? d.system() : Json::object();
    Json cams = Json::array();
    for (const auto& c : cameras()) cams.push_back(camera_json(c, d.governance.permit(c.id)));
    out["cameras"] = cams;
    out["sse_clients"] = hub.clients();
    out["sessions"] = sessions.size();
    out["analysis_stopped"] = d.governance.global_stop().stopped;
    send_json(res, out);
  }

  // ---- alerts ---------------------------------------------------------------------------

  void list_alerts(const Request& req, Response& res, const Principal& who) {
    storage::AlertQuery q;
    if (req.has_param("type")) {
      q.type = parse_event_type(req.get_param_value("type"));
      if (!q.type) return send_error(res, 400, "invalid_argument", "unknown event type");
    }
    if (req.has_param("camera")) q.camera = req.get_param_value("camera");
    if (req.has_param("state")) {
      q.state = storage::alert_state_from_string(req.get_param_value("state"));
      if (!q.state) return send_error(res, 400, "invalid_argument", "unknown alert state");
    }
    auto from = time_param(req, "from");
    if (!from) return send_status(res, from.status());
    auto to = time_param(req, "to");
    if (!to) return send_status(res, to.status());
    q.from_ms = *from;
    q.to_ms = *to;
    auto before = int_param(req, "before", 1, INT64_MAX);
    if (!before) return send_status(res, before.status());
    q.before_id = *before;
    auto limit = int_param(req, "limit", 1, kMaxAlertPage);
    if (!limit) return send_status(res, limit.status());
    q.limit = limit->value_or(50) > 0 ? static_cast<int>(limit->value_or(50)) : 50;
    const std::string calibration = req.get_param_value("calibration");
    if (calibration == "include" || calibration == "only") {
      if (!sees_calibration(who.role)) {
        return send_error(res, 403, "permission_denied",
                          "calibration alerts are for supervisors and auditors");
      }
      q.include_calibration = true;
      q.only_calibration = calibration == "only";
    } else if (!calibration.empty() && calibration != "exclude") {
      return send_error(res, 400, "invalid_argument",
                        "calibration must be exclude, include or only");
    }
    auto alerts = d.store.alerts(q);
    if (!alerts) return send_status(res, alerts.status());
    Json list = Json::array();
    for (const auto& a : *alerts) {
      if (a.calibration && !sees_calibration(who.role)) continue;  // the store's filter, again
      list.push_back(alert_json(a));
    }
    Json next = nullptr;
    if (static_cast<int>(alerts->size()) >= q.limit && !alerts->empty()) {
      next = alerts->back().id;
    }
    send_json(res, {{"alerts", list}, {"next_before", next}});
  }

  std::string evidence_url(const storage::EvidenceRecord& e) const {
    return "/api/v1/alerts/" + std::to_string(e.alert_id) + "/evidence/" + std::to_string(e.id);
  }

  void get_alert(const Request& req, Response& res, const Principal& who) {
    auto id = id_match(req, 1, "alert id");
    if (!id) return send_status(res, id.status());
    auto alert = visible_alert(*id, who, res);
    if (!alert) return;
    auto comments = d.store.comments(*id);
    if (!comments) return send_status(res, comments.status());
    auto evidence = d.store.evidence(*id);
    if (!evidence) return send_status(res, evidence.status());
    Json c = Json::array();
    for (const auto& x : *comments) c.push_back(comment_json(x));
    Json e = Json::array();
    for (const auto& x : *evidence) {
      if (x.kind == "raw") continue;  // never served as is
      e.push_back(evidence_json(x, evidence_url(x)));
    }
    Json out = alert_json(*alert);
    out["comments"] = c;
    out["evidence"] = e;
    send_json(res, out);
  }

  /// Runs an AlertService action on a visible alert and answers with the alert.
  void alert_action(const Request& req, Response& res, const Principal& who,
                    const std::function<Result<storage::AlertRecord>(std::int64_t, const Json&)>&
                        action) {
    auto id = id_match(req, 1, "alert id");
    if (!id) return send_status(res, id.status());
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    if (!visible_alert(*id, who, res)) return;
    auto done = action(*id, *body);
    if (!done) return send_status(res, done.status());
    send_json(res, alert_json(*done));
  }

  void seen(const Request& req, Response& res, const Principal& who) {
    alert_action(req, res, who, [&](std::int64_t id, const Json&) {
      return d.alerts.mark_seen(id, who.user);
    });
  }

  void verdict(const Request& req, Response& res, const Principal& who) {
    alert_action(req, res, who, [&](std::int64_t id, const Json& body) -> Result<storage::AlertRecord> {
      auto it = body.find("confirmed");
      if (it == body.end() || !it->is_boolean()) {
        return invalid_argument("field 'confirmed' (true or false) is required");
      }
      alerts::Verdict v;
      v.confirmed = it->get<bool>();
      auto reason = string_field(body, "reason", !v.confirmed, 256);
      if (!reason) return reason.status();
      auto comment = string_field(body, "comment", false);
      if (!comment) return comment.status();
      v.reason = *reason;
      v.comment = *comment;
      if (body.contains("measures")) {
        auto measures = strings_field(body, "measures");
        if (!measures) return measures.status();
        v.measures = *measures;
      }
      return d.alerts.judge(id, who.user, v);
    });
  }

  void undo_verdict(const Request& req, Response& res, const Principal& who) {
    alert_action(req, res, who, [&](std::int64_t id, const Json&) {
      return d.alerts.undo_verdict(id, who.user);
    });
  }

  void add_comment(const Request& req, Response& res, const Principal& who) {
    auto id = id_match(req, 1, "alert id");
    if (!id) return send_status(res, id.status());
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto text = string_field(*body, "text", true);
    if (!text) return send_status(res, text.status());
    if (!visible_alert(*id, who, res)) return;
    auto c = d.alerts.comment(*id, who.user, *text);
    if (!c) return send_status(res, c.status());
    send_json(res, comment_json(*c), 201);
  }

  void assign(const Request& req, Response& res, const Principal& who) {
    alert_action(req, res, who, [&](std::int64_t id, const Json& body) -> Result<storage::AlertRecord> {
      auto user = string_field(body, "user", false, 64);
      if (!user) return user.status();
      if (!user->empty()) {
        auto found = d.users.find(*user);
        if (!found) return found.status();
        if (!found->has_value() || (*found)->disabled) {
          return invalid_argument("no active user '" + *user + "'");
        }
      }
      return d.alerts.assign(id, who.user, *user);
    });
  }

  void close_alert(const Request& req, Response& res, const Principal& who) {
    alert_action(req, res, who,
                 [&](std::int64_t id, const Json&) { return d.alerts.close(id, who.user); });
  }

  void reasons(const Request&, Response& res, const Principal&) {
    send_json(res, {{"reasons", d.alerts.reason_codes()}});
  }

  // ---- console ----------------------------------------------------------------------------

  void console_settings(const Request&, Response& res, const Principal&) {
    Json measures = Json::object();
    for (const auto& [type, list] : d.alerts.options().measures) {
      measures[std::string(to_string(type))] = list;
    }
    Json critical = Json::array();
    for (EventType t : kAllEventTypes) {
      if (is_critical(t)) critical.push_back(std::string(to_string(t)));
    }
    send_json(res, {{"escalate_after_s", d.console.escalate_after_s},
                    {"mute_minutes", d.console.mute_minutes},
                    {"verdict_undo_s", d.alerts.options().verdict_undo_s},
                    {"critical_types", critical},
                    {"reasons", d.alerts.reason_codes()},
                    {"measures", measures}});
  }

  /// Muting is the console's (a browser's sound); the API checks and journals it, so that
  /// who silenced which alerts, and for how long, is on record.
  void console_mute(const Request& req, Response& res, const Principal& who) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto type_name = string_field(*body, "type", true, 64);
    if (!type_name) return send_status(res, type_name.status());
    auto type = parse_event_type(*type_name);
    if (!type) return send_error(res, 400, "invalid_argument", "'" + *type_name + "' is not an event type");
    auto it = body->find("muted");
    if (it == body->end() || !it->is_boolean()) {
      return send_error(res, 400, "invalid_argument", "field 'muted' (true or false) is required");
    }
    const bool muted = it->get<bool>();
    if (muted && is_critical(*type)) {
      return send_error(res, 409, "failed_precondition",
                        *type_name + " alerts are critical and cannot be muted");
    }
    const double minutes = d.console.mute_minutes;
    Json detail = {{"type", *type_name}};
    if (muted) detail["minutes"] = minutes;
    if (Status s = journal(who.user, muted ? "console.muted" : "console.unmuted", detail);
        !s.is_ok()) {
      return send_status(res, s);
    }
    Json out = {{"type", *type_name}, {"muted", muted}};
    if (muted) out["until_ms"] = now_ms() + static_cast<storage::TimeMs>(minutes * 60000.0);
    send_json(res, out);
  }

  Result<std::filesystem::path> evidence_path(const storage::EvidenceRecord& e, bool unmasked) {
    if (d.evidence_file) return d.evidence_file(e, unmasked);
    if (unmasked) {
      return Status(StatusCode::kUnimplemented, "unmasked evidence is not available on this node");
    }
    if (!e.masked) return not_found("no masked version of this evidence");
    return d.evidence_root / e.path;
  }

  void evidence(const Request& req, Response& res, const Principal& who) {
    auto id = id_match(req, 1, "alert id");
    if (!id) return send_status(res, id.status());
    auto eid = id_match(req, 2, "evidence id");
    if (!eid) return send_status(res, eid.status());
    const std::string flag = req.get_param_value("unmasked");
    const bool unmasked = flag == "1" || flag == "true";
    const std::string reason = req.get_param_value("reason");
    if (unmasked && who.role != govern::Role::kSupervisor) {
      return send_error(res, 403, "permission_denied", "only a supervisor may see unmasked evidence");
    }
    if (unmasked && reason.empty()) {
      return send_error(res, 400, "invalid_argument", "an unmasked view needs a reason");
    }
    if (!visible_alert(*id, who, res)) return;
    auto files = d.store.evidence(*id);
    if (!files) return send_status(res, files.status());
    auto it = std::find_if(files->begin(), files->end(),
                           [&](const storage::EvidenceRecord& e) { return e.id == *eid; });
    if (it == files->end() || it->kind == "raw") {
      return send_error(res, 404, "not_found", "no evidence " + std::to_string(*eid));
    }
    auto path = evidence_path(*it, unmasked);
    if (!path) return send_status(res, path.status());
    std::error_code ec;
    const auto root = std::filesystem::weakly_canonical(d.evidence_root, ec);
    const auto file = std::filesystem::weakly_canonical(*path, ec);
    const auto rel = file.lexically_relative(root);
    if (d.evidence_root.empty() || rel.empty() || *rel.begin() == "..") {
      return send_error(res, 404, "not_found", "evidence file is outside the evidence folder");
    }
    const auto size = std::filesystem::file_size(file, ec);
    if (ec) return send_error(res, 404, "not_found", "evidence file is missing");
    // Journaled before a byte is served.
    auto viewed = d.alerts.view_evidence(*id, *eid, who.user, unmasked, reason);
    if (!viewed) return send_status(res, viewed.status());
    auto in = std::make_shared<std::ifstream>(file, std::ios::binary);
    if (!*in) return send_error(res, 404, "not_found", "evidence file cannot be read");
    res.set_header("Cache-Control", "no-store");
    res.set_header("Content-Disposition", "inline");
    res.set_content_provider(size, content_type_of(file),
                             [in](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                               char buf[65536];
                               in->seekg(static_cast<std::streamoff>(offset));
                               const auto n = std::min(length, sizeof buf);
                               in->read(buf, static_cast<std::streamsize>(n));
                               const auto got = in->gcount();
                               if (got <= 0) return false;
                               return sink.write(buf, static_cast<std::size_t>(got));
                             });
  }

  // ---- authorizations, stop -------------------------------------------------------------

  void list_authorizations(const Request&, Response& res, const Principal&) {
    Json out = Json::array();
    const auto now = now_ms();
    for (const auto& a : d.governance.authorizations()) out.push_back(authorization_json(a, now));
    send_json(res, {{"authorizations", out}});
  }

  void add_authorization(const Request& req, Response& res, const Principal& who) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    storage::AuthorizationRecord a;
    auto reference = string_field(*body, "reference", true, 256);
    if (!reference) return send_status(res, reference.status());
    a.reference = *reference;
    if (a.reference.empty()) return send_error(res, 400, "invalid_argument", "empty reference");
    auto cams = strings_field(*body, "cameras");
    if (!cams) return send_status(res, cams.status());
    a.cameras = *cams;
    auto types = strings_field(*body, "event_types");
    if (!types) return send_status(res, types.status());
    for (const auto& t : *types) {
      auto e = parse_event_type(t);
      if (!e) return send_error(res, 400, "invalid_argument", "'" + t + "' is not an event type");
      a.event_types.push_back(*e);
    }
    for (const char* key : {"start", "end"}) {
      auto text = string_field(*body, key, true, 64);
      if (!text) return send_status(res, text.status());
      auto t = parse_iso8601(*text);
      if (!t) {
        return send_error(res, 400, "invalid_argument",
                          std::string("field '") + key + "' must be ISO 8601 with an offset");
      }
      (std::string_view(key) == "start" ? a.start_ms : a.end_ms) = unix_ms(*t);
    }
    auto controller = string_field(*body, "controller", false, 512);
    if (!controller) return send_status(res, controller.status());
    a.controller = *controller;
    a.origin = "api";
    if (Status s = d.governance.authorize(who.user, a); !s.is_ok()) return send_status(res, s);
    send_json(res, authorization_json(a, now_ms()), 201);
  }

  void revoke_authorization(const Request& req, Response& res, const Principal& who) {
    const std::string reference = req.matches[1].str();
    if (Status s = d.governance.revoke(who.user, reference); !s.is_ok()) {
      return send_status(res, s);
    }
    send_json(res, {{"ok", true}, {"reference", reference}});
  }

  Json stop_state() const {
    Json cams = Json::object();
    for (const auto& [id, info] : d.governance.camera_stops()) cams[id] = stop_json(info);
    return {{"global", stop_json(d.governance.global_stop())}, {"cameras", cams}};
  }

  Status check_camera(const std::string& camera) const {
    if (camera.empty()) return Status::ok();
    const auto list = cameras();
    if (list.empty()) return Status::ok();  // no engine view: Governance decides
    for (const auto& c : list) {
      if (c.id == camera) return Status::ok();
    }
    return not_found("no camera '" + camera + "'");
  }

  void get_stop(const Request&, Response& res, const Principal&) { send_json(res, stop_state()); }

  void stop_analysis(const Request& req, Response& res, const Principal& who) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto camera = string_field(*body, "camera", false, 64);
    if (!camera) return send_status(res, camera.status());
    auto reason = string_field(*body, "reason", true, 1024);
    if (!reason) return send_status(res, reason.status());
    if (reason->empty()) return send_error(res, 400, "invalid_argument", "a stop needs a reason");
    if (Status s = check_camera(*camera); !s.is_ok()) return send_status(res, s);
    if (Status s = d.governance.stop(who.user, *camera, *reason); !s.is_ok()) {
      return send_status(res, s);
    }
    send_json(res, stop_state());
  }

  void resume_analysis(const Request& req, Response& res, const Principal& who) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto camera = string_field(*body, "camera", false, 64);
    if (!camera) return send_status(res, camera.status());
    if (Status s = check_camera(*camera); !s.is_ok()) return send_status(res, s);
    if (Status s = d.governance.resume(who.user, *camera); !s.is_ok()) {
      return send_status(res, s);
    }
    send_json(res, stop_state());
  }

  // ---- journal, statistics ------------------------------------------------------------

  void read_journal(const Request& req, Response& res, const Principal&) {
    storage::JournalQuery q;
    auto from = time_param(req, "from");
    if (!from) return send_status(res, from.status());
    auto to = time_param(req, "to");
    if (!to) return send_status(res, to.status());
    auto after = int_param(req, "after", 0, INT64_MAX);
    if (!after) return send_status(res, after.status());
    auto limit = int_param(req, "limit", 1, kMaxJournalPage);
    if (!limit) return send_status(res, limit.status());
    q.from_ms = *from;
    q.to_ms = *to;
    q.after_seq = *after;
    q.limit = static_cast<int>(limit->value_or(100));
    if (req.has_param("action")) q.action_prefix = req.get_param_value("action");
    if (req.has_param("actor")) q.actor = req.get_param_value("actor");
    auto records = d.store.journal(q);
    if (!records) return send_status(res, records.status());
    Json list = Json::array();
    for (const auto& r : *records) list.push_back(journal_json(r));
    Json next = nullptr;
    if (static_cast<int>(records->size()) >= q.limit && !records->empty()) {
      next = records->back().seq;
    }
    send_json(res, {{"records", list}, {"next_after", next}});
  }

  void verify_journal(const Request&, Response& res, const Principal&) {
    storage::ChainVerifier verifier;
    std::optional<storage::ChainBreak> broken;
    std::int64_t after = 0;
    std::int64_t head_seq = 0;
    for (;;) {
      storage::JournalQuery q;
      q.after_seq = after;
      q.limit = kMaxJournalPage;
      auto page = d.store.journal(q);
      if (!page) return send_status(res, page.status());
      for (const auto& r : *page) {
        if (!broken) broken = verifier.add(r);
        after = r.seq;
        head_seq = r.seq;
      }
      if (static_cast<int>(page->size()) < q.limit) break;
    }
    Json brk = nullptr;
    if (broken) brk = {{"seq", broken->seq}, {"reason", broken->reason}};
    send_json(res, {{"ok", !broken},
                    {"records", verifier.checked()},
                    {"head", verifier.head_hash()},
                    {"head_seq", head_seq},
                    {"break", brk}});
  }

  void stats(const Request& req, Response& res, const Principal&) {
    auto from = time_param(req, "from");
    if (!from) return send_status(res, from.status());
    auto to = time_param(req, "to");
    if (!to) return send_status(res, to.status());
    const storage::TimeMs to_ms_v = to->value_or(now_ms() + 1);  // up to now, inclusive
    const storage::TimeMs from_ms_v =
        from->value_or(to_ms_v - d.options.default_stats_days * 24 * 3600 * 1000);
    if (from_ms_v >= to_ms_v) return send_error(res, 400, "invalid_argument", "from must be before to");
    auto rows = d.store.alert_counts(from_ms_v, to_ms_v);
    if (!rows) return send_status(res, rows.status());

    struct Agg {
      std::int64_t alerts = 0, confirmed = 0, dismissed = 0;
      double verdict_sum = 0;
    };
    auto agg_json = [](const Agg& a) {
      const auto judged = a.confirmed + a.dismissed;
      Json precision = nullptr;
      Json mean = nullptr;
      if (judged > 0) {
        precision = static_cast<double>(a.confirmed) / static_cast<double>(judged);
        mean = a.verdict_sum / static_cast<double>(judged);
      }
      return Json{{"alerts", a.alerts},      {"confirmed", a.confirmed},
                  {"dismissed", a.dismissed}, {"precision", precision},
                  {"mean_verdict_s", mean}};
    };
    auto add = [](Agg& a, const storage::AlertCountRow& r) {
      a.alerts += r.alerts;
      a.confirmed += r.confirmed;
      a.dismissed += r.dismissed;
      a.verdict_sum += r.verdict_seconds_sum;
    };
    Agg total;
    std::map<std::string, Agg> by_type, by_camera;
    std::map<std::string, std::map<std::string, Agg>> by_type_camera;
    std::map<storage::TimeMs, std::int64_t> by_hour;
    std::map<std::string, std::int64_t> cal_type, cal_camera;
    std::int64_t cal_total = 0;
    for (const auto& r : *rows) {
      const std::string type(to_string(r.type));
      if (r.calibration) {
        cal_type[type] += r.alerts;
        cal_camera[r.camera] += r.alerts;
        cal_total += r.alerts;
        continue;
      }
      add(total, r);
      add(by_type[type], r);
      add(by_camera[r.camera], r);
      add(by_type_camera[type][r.camera], r);
      by_hour[r.hour_ms] += r.alerts;
    }
    // Medians need each alert's time to verdict.
    std::vector<double> waits;
    std::map<std::string, std::vector<double>> waits_by_type;
    storage::AlertQuery q;
    q.from_ms = from_ms_v;
    q.to_ms = to_ms_v;
    q.limit = kMaxAlertPage;
    bool truncated = false;
    for (;;) {
      auto page = d.store.alerts(q);
      if (!page) return send_status(res, page.status());
      for (const auto& a : *page) {
        if (a.calibration || a.verdict_ms <= 0) continue;
        const double s = static_cast<double>(a.verdict_ms - a.raised_ms) / 1000.0;
        waits.push_back(s);
        waits_by_type[std::string(to_string(a.type))].push_back(s);
      }
      if (static_cast<int>(page->size()) < q.limit) break;
      q.before_id = page->back().id;
      if (waits.size() >= kMaxStatsAlerts) {
        truncated = true;
        break;
      }
    }
    Json types = Json::object();
    for (const auto& [t, a] : by_type) {
      types[t] = agg_json(a);
      types[t]["median_verdict_s"] =
          waits_by_type.count(t) ? Json(median(waits_by_type[t])) : Json(nullptr);
      Json cams = Json::object();
      for (const auto& [c, ca] : by_type_camera[t]) cams[c] = agg_json(ca);
      types[t]["cameras"] = cams;
    }
    Json cams = Json::object();
    for (const auto& [c, a] : by_camera) cams[c] = agg_json(a);
    Json hours = Json::array();
    for (const auto& [h, n] : by_hour) {
      hours.push_back({{"hour_ms", h},
                       {"hour", format_iso8601(std::chrono::system_clock::time_point(
                                    std::chrono::milliseconds(h)))},
                       {"alerts", n}});
    }
    Json t = agg_json(total);
    t["median_verdict_s"] = waits.empty() ? Json(nullptr) : Json(median(waits));
    send_json(res, {{"from_ms", from_ms_v},
                    {"to_ms", to_ms_v},
                    {"total", t},
                    {"by_type", types},
                    {"by_camera", cams},
                    {"by_hour", hours},
                    {"median_truncated", truncated},
                    {"calibration",
                     {{"alerts", cal_total}, {"by_type", cal_type}, {"by_camera", cal_camera}}}});
  }

  // ---- users ------------------------------------------------------------------------------

  void list_users(const Request&, Response& res, const Principal&) {
    auto users = d.users.list();
    if (!users) return send_status(res, users.status());
    Json out = Json::array();
    for (const auto& u : *users) out.push_back(user_json(u));
    send_json(res, {{"users", out}});
  }

  void create_user(const Request& req, Response& res, const Principal& who) {
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    auto name = string_field(*body, "name", true, 64);
    if (!name) return send_status(res, name.status());
    auto role_name = string_field(*body, "role", true, 32);
    if (!role_name) return send_status(res, role_name.status());
    auto role = govern::role_from_string(*role_name);
    if (!role) return send_error(res, 400, "invalid_argument", "unknown role '" + *role_name + "'");
    auto password = string_field(*body, "password", true);
    if (!password) return send_status(res, password.status());
    auto user = d.users.create(who.user, *name, *role, *password);
    if (!user) return send_status(res, user.status());
    send_json(res, user_json(*user), 201);
  }

  void update_user(const Request& req, Response& res, const Principal& who) {
    const std::string name = req.matches[1].str();
    auto body = parse_body(req, d.options.max_json_depth);
    if (!body) return send_status(res, body.status());
    govern::UserChange change;
    if (body->contains("role")) {
      auto r = string_field(*body, "role", true, 32);
      if (!r) return send_status(res, r.status());
      change.role = govern::role_from_string(*r);
      if (!change.role) return send_error(res, 400, "invalid_argument", "unknown role '" + *r + "'");
    }
    if (body->contains("password")) {
      auto p = string_field(*body, "password", true);
      if (!p) return send_status(res, p.status());
      change.password = *p;
    }
    if (body->contains("disabled")) {
      if (!(*body)["disabled"].is_boolean()) {
        return send_error(res, 400, "invalid_argument", "field 'disabled' must be true or false");
      }
      change.disabled = (*body)["disabled"].get<bool>();
    }
    if (!change.role && !change.password && !change.disabled) {
      return send_error(res, 400, "invalid_argument", "nothing to change (role, password, disabled)");
    }
    if (name == who.user && ((change.role && *change.role != govern::Role::kAdmin) ||
                             change.disabled.value_or(false))) {
      return send_error(res, 409, "failed_precondition",
                        "an admin cannot disable or demote their own account");
    }
    auto user = d.users.update(who.user, name, change);
    if (!user) return send_status(res, user.status());
    sessions.close_user(name);  // the old role or password must not live on in a session
    send_json(res, user_json(*user));
  }

  // ---- live events ----------------------------------------------------------------------

  void events(const Request& req, Response& res, const Principal& who) {
    std::string last = req.get_header_value("Last-Event-ID");
    if (last.empty()) last = req.get_param_value("last_event_id");
    std::optional<std::int64_t> resume;
    if (!last.empty()) {
      resume = parse_int(last);
      if (!resume || *resume < 0) {
        return send_error(res, 400, "invalid_argument", "Last-Event-ID must be a journal seq");
      }
    }
    auto stream = std::make_shared<Stream>();
    stream->sees_calibration = sees_calibration(who.role);
    // Registered before the journal is read: whatever commits from now on is queued, and
    // what is both read and queued is sent once (by seq), so there is neither gap nor repeat.
    stream->queue = hub.add(stream->sees_calibration);
    if (!stream->queue) return send_error(res, 503, "unavailable", "too many event streams");
    connection_became_stream();  // its place among connections is free for requests
    if (resume) {
      stream->replaying = true;
      stream->cursor = *resume;
      stream->last_sent = *resume;
    }
    stream->last_write = std::chrono::steady_clock::now();
    res.set_header("Cache-Control", "no-store");
    res.set_header("X-Accel-Buffering", "no");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, stream](std::size_t, httplib::DataSink& sink) { return pump(*stream, sink); },
        [this, stream](bool) { hub.remove(stream->queue); });
  }

  std::optional<std::string> replay_frame(const storage::JournalRecord& r, bool sees) {
    // The alert service journals the alert's id as "alert".
    const Json& detail = r.detail;
    std::int64_t id = 0;
    for (const char* key : {"alert", "alert_id"}) {
      if (detail.contains(key) && detail[key].is_number_integer()) {
        id = detail[key].get<std::int64_t>();
        break;
      }
    }
    if (id == 0) return std::nullopt;
    auto alert = d.store.alert(id);
    if (!alert || !alert->has_value()) return std::nullopt;
    if ((*alert)->calibration && !sees) return std::nullopt;
    return sse_frame(r.seq, r.action, alert_json(**alert));
  }

  // Called again and again by the server's writing loop while the stream is open. Waits a
  // quarter of a second at most, so that a stopping server is never held up for long.
  bool pump(Stream& s, httplib::DataSink& sink) {
    auto write = [&](const std::string& text) {
      if (!sink.write(text.data(), text.size())) return false;
      // Real time, not the injected clock: the heartbeat keeps real connections open.
      s.last_write = std::chrono::steady_clock::now();
      return true;
    };
    if (!s.started) {
      s.started = true;
      return write("retry: 2000\n: vigie events\n\n");
    }
    if (s.replaying) {
      storage::JournalQuery q;
      q.after_seq = s.cursor;
      q.action_prefix = "alert.";
      q.limit = kReplayPage;
      auto page = d.store.journal(q);
      if (!page) return false;
      std::string out;
      for (const auto& r : *page) {
        s.cursor = r.seq;
        if (auto frame = replay_frame(r, s.sees_calibration)) out += *frame;
        s.last_sent = std::max(s.last_sent, r.seq);
      }
      if (static_cast<int>(page->size()) < q.limit) s.replaying = false;
      return out.empty() || write(out);
    }
    std::deque<alerts::AlertEvent> events;
    if (!s.queue->wait(0.25, events)) return false;  // dropped (too slow) or server stopping
    std::string out;
    std::vector<const storage::AlertRecord*> raised;
    for (const auto& e : events) {
      if (e.seq > 0 && e.seq <= s.last_sent) continue;
      out += sse_frame(e.seq, e.action, alert_json(e.alert));
      s.last_sent = std::max(s.last_sent, e.seq);
      if (e.action == "alert.raised" && !e.alert.calibration) raised.push_back(&e.alert);
    }
    const double quiet =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - s.last_write).count();
    if (out.empty() && quiet >= d.options.sse_heartbeat_s) out = ": keepalive\n\n";
    if (out.empty()) return true;
    if (!write(out)) return false;
    for (const auto* a : raised) pushed_latency.observe(alert_age_s(*a));
    return true;
  }

  // ---- public pages -----------------------------------------------------------------------

  /// Who may scrape: with api.metrics_token, whoever presents it as a bearer token;
  /// without, anyone on a loopback address (or anywhere with api.metrics_public).
  bool metrics_allowed(const Request& req, Response& res) {
    if (!cfg.metrics_token.empty()) {
      const std::string auth = req.get_header_value("Authorization");
      const std::string given = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string();
      if (given.size() == cfg.metrics_token.size() &&
          CRYPTO_memcmp(given.data(), cfg.metrics_token.data(), given.size()) == 0) {
        return true;
      }
      send_error(res, 401, "unauthenticated",
                 "metrics need the header Authorization: Bearer <api.metrics_token>");
      return false;
    }
    if (!is_loopback_address(cfg.listen) && !cfg.metrics_public) {
      send_error(res, 403, "permission_denied",
                 "metrics are served on a loopback address only (api.metrics_public, or "
                 "api.metrics_token for remote scraping)");
      return false;
    }
    return true;
  }

  void metrics(const Request& req, Response& res, const Principal&) {
    if (!metrics_allowed(req, res)) return;
    PrometheusText m;
    {
      std::lock_guard lock(counts_mutex);
      m.family("vigie_alert_events_total", MetricType::kCounter,
               "Alert changes pushed since start, by action and type.");
      for (const auto& [key, n] : event_counts) {
        const auto& [action, type, calibration] = key;
        m.sample({{"action", action}, {"type", type}, {"calibration", calibration ? "true" : "false"}},
                 static_cast<double>(n));
      }
      m.family("vigie_api_responses_total", MetricType::kCounter,
               "API responses since start, by status class.");
      for (const auto& [cls, n] : responses) m.sample({{"class", cls}}, static_cast<double>(n));
    }
    m.family("vigie_alert_latency_seconds", MetricType::kHistogram,
             "From the wall time of the frame that completed the event to the alert stored and "
             "journaled (stage stored), and to its live push written to each console "
             "(stage pushed). Calibration alerts are not counted.")
        .histogram({{"stage", "stored"}}, stored_latency.snapshot())
        .histogram({{"stage", "pushed"}}, pushed_latency.snapshot());
    auto head = d.store.journal_head();
    m.gauge("vigie_journal_head_seq", "Sequence number of the newest journal record.",
            static_cast<double>(head && head->has_value() ? (*head)->seq : 0));
    m.family("vigie_logins_total", MetricType::kCounter, "Login attempts since start, by result.")
        .sample({{"result", "ok"}}, static_cast<double>(logins_ok.load()))
        .sample({{"result", "failed"}}, static_cast<double>(logins_failed.load()))
        .sample({{"result", "rate_limited"}}, static_cast<double>(logins_refused.load()))
        .sample({{"result", "busy"}}, static_cast<double>(logins_busy.load()));
    m.counter("vigie_password_checks_refused_total",
              "Password hashes and checks refused because the hashing threads were busy.",
              static_cast<double>(d.users.hash_stats().refused));
    m.gauge("vigie_api_sessions", "Open console and API sessions.",
            static_cast<double>(sessions.size()));
    m.gauge("vigie_sse_clients", "Open event streams.", static_cast<double>(hub.clients()));
    m.counter("vigie_sse_dropped_total", "Event streams dropped for falling behind.",
              static_cast<double>(hub.dropped_total()));
    m.gauge("vigie_api_connections", "Open API connections, event streams not counted.",
            static_cast<double>(connections.connections()));
    m.counter("vigie_api_connections_refused_total",
              "Connections refused for the total or per-address cap.",
              static_cast<double>(connections.refused()));
    m.gauge("vigie_analysis_stopped", "1 while a global stop is in force.",
            d.governance.global_stop().stopped ? 1 : 0);
    if (d.metrics_extra) d.metrics_extra(m);
    res.set_content(m.text(), "text/plain; version=0.0.4; charset=utf-8");
  }

  /// Seconds from the frame that completed an alert's event to now (never negative).
  double alert_age_s(const storage::AlertRecord& a) {
    return std::max<double>(0, static_cast<double>(now_ms() - a.raised_ms) / 1000.0);
  }

  void healthz(const Request&, Response& res, const Principal&) {
    auto head = d.store.journal_head();
    if (!head) return send_error(res, 503, "unavailable", "store: " + head.status().message());
    // Reading is not enough: a full disk still reads, while alerts and the journal can no
    // longer be written.
    if (const std::string problem = d.store.commit_problem(); !problem.empty()) {
      return send_error(res, 503, "unavailable", "store: commits fail: " + problem);
    }
    send_json(res, {{"status", "ok"}});
  }

  /// The public information, with the journal's head: anyone may note it, and a journal
  /// whose end is later removed no longer reaches it (vigie journal verify --expect-head).
  Json public_info() {
    Json info = transparency_json(d.governance, d.public_cameras, now_ms());
    if (auto head = d.store.journal_head(); head.is_ok() && *head) {
      info["journal_head"] = {{"seq", (*head)->seq}, {"hash", (*head)->hash}};
    }
    return info;
  }

  void transparency_page(const Request&, Response& res, const Principal&) {
    res.set_header("Cache-Control", "no-cache");
    res.set_content(transparency_html(public_info()), "text/html; charset=utf-8");
  }

  void transparency_data(const Request&, Response& res, const Principal&) {
    res.set_header("Cache-Control", "no-cache");
    send_json(res, public_info());
  }

  void console(const Request&, Response& res, const Principal&) {
    res.set_content(kPlaceholderPage, "text/html; charset=utf-8");
  }

  // ---- wiring -----------------------------------------------------------------------------

  std::map<std::string, Handler> handlers() {
    auto bind = [this](void (Impl::*f)(const Request&, Response&, const Principal&)) -> Handler {
      return [this, f](const Request& req, Response& res, const Principal& who) {
        (this->*f)(req, res, who);
      };
    };
    return {
        {"POST /api/v1/login", bind(&Impl::login)},
        {"POST /api/v1/logout", bind(&Impl::logout)},
        {"GET /api/v1/me", bind(&Impl::me)},
        {"GET /api/v1/cameras", bind(&Impl::list_cameras)},
        {"GET /api/v1/cameras/{id}", bind(&Impl::get_camera)},
        {"GET /api/v1/cameras/{id}/frame.jpg", bind(&Impl::camera_frame)},
        {"GET /api/v1/cameras/{id}/geometry", bind(&Impl::get_geometry)},
        {"PUT /api/v1/cameras/{id}/geometry", bind(&Impl::put_geometry)},
        {"GET /api/v1/system", bind(&Impl::system)},
        {"GET /api/v1/alerts", bind(&Impl::list_alerts)},
        {"GET /api/v1/alerts/{id}", bind(&Impl::get_alert)},
        {"POST /api/v1/alerts/{id}/seen", bind(&Impl::seen)},
        {"POST /api/v1/alerts/{id}/verdict", bind(&Impl::verdict)},
        {"POST /api/v1/alerts/{id}/undo", bind(&Impl::undo_verdict)},
        {"POST /api/v1/alerts/{id}/comments", bind(&Impl::add_comment)},
        {"POST /api/v1/alerts/{id}/assign", bind(&Impl::assign)},
        {"POST /api/v1/alerts/{id}/close", bind(&Impl::close_alert)},
        {"GET /api/v1/alerts/{id}/evidence/{eid}", bind(&Impl::evidence)},
        {"GET /api/v1/reasons", bind(&Impl::reasons)},
        {"GET /api/v1/console", bind(&Impl::console_settings)},
        {"POST /api/v1/console/mute", bind(&Impl::console_mute)},
        {"GET /api/v1/authorizations", bind(&Impl::list_authorizations)},
        {"POST /api/v1/authorizations", bind(&Impl::add_authorization)},
        {"DELETE /api/v1/authorizations/{reference}", bind(&Impl::revoke_authorization)},
        {"GET /api/v1/stop", bind(&Impl::get_stop)},
        {"POST /api/v1/stop", bind(&Impl::stop_analysis)},
        {"POST /api/v1/resume", bind(&Impl::resume_analysis)},
        {"GET /api/v1/journal", bind(&Impl::read_journal)},
        {"GET /api/v1/journal/verify", bind(&Impl::verify_journal)},
        {"GET /api/v1/stats", bind(&Impl::stats)},
        {"GET /api/v1/users", bind(&Impl::list_users)},
        {"POST /api/v1/users", bind(&Impl::create_user)},
        {"PATCH /api/v1/users/{name}", bind(&Impl::update_user)},
        {"GET /api/v1/events", bind(&Impl::events)},
        {"GET /metrics", bind(&Impl::metrics)},
        {"GET /healthz", bind(&Impl::healthz)},
        {"GET /transparency", bind(&Impl::transparency_page)},
        {"GET /transparency.json", bind(&Impl::transparency_data)},
        {"GET /", bind(&Impl::console)},
    };
  }

  Status register_routes() {
    auto table = handlers();
    for (const RouteSpec& spec : route_table()) {
      auto it = table.find(std::string(spec.method) + " " + std::string(spec.path));
      if (it == table.end()) {
        return internal_error("no handler for " + std::string(spec.method) + " " +
                              std::string(spec.path));
      }
      Handler handler = it->second;
      // The one place roles are enforced, from the route table.
      httplib::Server::Handler guarded = [this, spec, handler](const Request& req, Response& res) {
        connection_request_read();
        Principal who;
        if (!spec.is_public()) {
          auto found = authenticate(req);
          if (!found) return send_error(res, 401, "unauthenticated", "log in first");
          if (const std::string why = cross_site_write(req, tls); !why.empty()) {
            return send_error(res, 403, "permission_denied", why);
          }
          if (!spec.allows(found->role)) {
            return send_error(res, 403, "permission_denied",
                              "the " + std::string(govern::to_string(found->role)) +
                                  " role may not use " + std::string(spec.method) + " " +
                                  std::string(spec.path));
          }
          who = *found;
        }
        handler(req, res, who);
      };
      const std::string pattern = path_pattern(spec.path);
      if (spec.method == "GET") {
        server->Get(pattern, guarded);
      } else if (spec.method == "POST") {
        server->Post(pattern, guarded);
      } else if (spec.method == "PUT") {
        server->Put(pattern, guarded);
      } else if (spec.method == "PATCH") {
        server->Patch(pattern, guarded);
      } else if (spec.method == "DELETE") {
        server->Delete(pattern, guarded);
      } else {
        return internal_error("unknown method " + std::string(spec.method));
      }
    }
    return Status::ok();
  }

  void count_event(const alerts::AlertEvent& e) {
    // Called once the alert is stored and journaled, before it is pushed.
    if (e.action == "alert.raised" && !e.alert.calibration) {
      stored_latency.observe(alert_age_s(e.alert));
    }
    std::lock_guard lock(counts_mutex);
    ++event_counts[{e.action, std::string(to_string(e.alert.type)), e.alert.calibration}];
  }
};

ApiServer::ApiServer(ApiDeps deps, config::ApiConfig config)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(config))) {}

ApiServer::~ApiServer() { stop(); }

int ApiServer::port() const { return impl_->port; }

Status ApiServer::start() {
  Impl& m = *impl_;
  if (m.server) return Status(StatusCode::kFailedPrecondition, "already started");
  const bool want_tls = !m.cfg.tls_cert.empty() || !m.cfg.tls_key.empty();
  if (want_tls && (m.cfg.tls_cert.empty() || m.cfg.tls_key.empty())) {
    return invalid_argument("api: tls_cert and tls_key go together");
  }
  m.server = make_limited_server(m.limits, m.connections, m.cfg.tls_cert, m.cfg.tls_key);
  if (!m.server) {
    return invalid_argument("api: cannot use the TLS certificate '" + m.cfg.tls_cert +
                            "' with its key");
  }
  m.tls = want_tls;
  httplib::Server& s = *m.server;
  // The headers are read: the body (if any) is next, within its own deadline.
  s.set_pre_routing_handler([](const Request& req, Response& res) {
    // A decoded path holding a control character (%00 above all) is no file name: the
    // extension after it would choose the content type of the file before it.
    if (std::any_of(req.path.begin(), req.path.end(),
                    [](char c) { return static_cast<unsigned char>(c) < 0x20; })) {
      send_error(res, 400, "invalid_argument", "the path holds a control character");
      return httplib::Server::HandlerResponse::Handled;
    }
    const std::string length = req.get_header_value("Content-Length");
    const bool body =
        (!length.empty() && length != "0") || req.has_header("Transfer-Encoding");
    connection_headers_read(body);
    return httplib::Server::HandlerResponse::Unhandled;
  });
  s.set_payload_max_length(m.d.options.max_body_bytes);
  // The console loads its own scripts, styles and images only; the transparency page has
  // one inline style sheet.
  s.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                         {"X-Frame-Options", "DENY"},
                         {"Referrer-Policy", "no-referrer"},
                         {"Content-Security-Policy",
                          "default-src 'self'; script-src 'self'; style-src 'self' "
                          "'unsafe-inline'; img-src 'self' blob: data:; media-src 'self' blob:; "
                          "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; "
                          "form-action 'self'"}});
  s.set_exception_handler([](const Request& req, Response& res, std::exception_ptr ep) {
    std::string what = "unknown";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    spdlog::error("api: {} {}: {}", req.method, req.path, redact(what));
    send_error(res, 500, "internal", "internal error");
  });
  s.set_error_handler([](const Request&, Response& res) {
    if (!res.body.empty()) return;
    if (res.status == 404) return send_error(res, 404, "not_found", "no such route");
    if (res.status == 413) {
      return send_error(res, 413, "invalid_argument", "the request body is too large");
    }
    send_error(res, res.status, "invalid_argument", "bad request");
  });
  s.set_logger([&m](const Request&, const Response& res) {
    std::lock_guard lock(m.counts_mutex);
    ++m.responses[std::to_string(res.status / 100) + "xx"];
  });
  if (!m.cfg.console_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(m.cfg.console_dir, ec)) {
      s.set_mount_point("/", m.cfg.console_dir);
    } else {
      spdlog::warn("api: console folder '{}' not found; serving a placeholder", m.cfg.console_dir);
    }
  }
  if (Status st = m.register_routes(); !st.is_ok()) {
    m.server.reset();
    return st;
  }
  if (m.cfg.port == 0) {
    m.port = s.bind_to_any_port(m.cfg.listen);
    if (m.port <= 0) m.port = 0;
  } else if (s.bind_to_port(m.cfg.listen, m.cfg.port)) {
    m.port = m.cfg.port;
  }
  if (m.port == 0) {
    m.server.reset();
    return unavailable("api: cannot listen on " + m.cfg.listen + ":" + std::to_string(m.cfg.port));
  }
  widen_backlog(s, 256);
  if (!m.d.options.events_from_journal) {
    m.alert_token = m.d.alerts.subscribe([&m](const alerts::AlertEvent& e) {
      m.count_event(e);
      m.hub.publish(e);
    });
  }
  // httplib's request threads are started by this one and inherit its name.
  m.thread = std::thread([&s] {
    name_this_thread("vigie-api");
    s.listen_after_bind();
  });
  // stop() is only effective once the server runs: wait for it, so start() then stop() is safe.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!s.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("api: serving {}://{}:{}", m.tls ? "https" : "http", m.cfg.listen, m.port);
  return Status::ok();
}

void ApiServer::push_event(const alerts::AlertEvent& event) {
  Impl& m = *impl_;
  if (!m.d.options.events_from_journal) return;
  m.count_event(event);
  m.hub.publish(event);
}

void ApiServer::stop() {
  Impl& m = *impl_;
  if (!m.server) return;
  if (m.alert_token != 0) m.d.alerts.unsubscribe(m.alert_token);
  m.alert_token = 0;
  m.hub.close_all();
  m.server->stop();
  if (m.thread.joinable()) m.thread.join();
  m.server.reset();
  m.port = 0;
}

}  // namespace vigie::api
