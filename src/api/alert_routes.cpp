// Alerts: the list, one alert with its comments and evidence, the workflow (seen, verdict
// and its undo, comments, assignment, closing), evidence files and the verdict reasons.

#include "api/route_context.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "api/views.hpp"

namespace vigie::api {
namespace {

std::string content_type_of(const std::filesystem::path& path) {
  std::string ext = path.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (ext == ".jpg" || ext == ".jpeg") return "image/jpeg";
  if (ext == ".png") return "image/png";
  if (ext == ".mp4") return "video/mp4";
  return "application/octet-stream";
}

void list_alerts(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
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
    return send_error(res, 400, "invalid_argument", "calibration must be exclude, include or only");
  }
  auto alerts = ctx.d.store.alerts(q);
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

std::string evidence_url(const storage::EvidenceRecord& e) {
  return "/api/v1/alerts/" + std::to_string(e.alert_id) + "/evidence/" + std::to_string(e.id);
}

Result<std::filesystem::path> evidence_path(RouteContext& ctx, const storage::EvidenceRecord& e,
                                            bool unmasked) {
  if (ctx.d.evidence_file) return ctx.d.evidence_file(e, unmasked);
  if (unmasked) {
    return Status(StatusCode::kUnimplemented, "unmasked evidence is not available on this node");
  }
  if (!e.masked) return not_found("no masked version of this evidence");
  return ctx.d.evidence_root / e.path;
}

/// Why this node cannot serve an evidence record's (masked) file, or "" when it can. Evidence
/// files stay on the disk of the node that wrote them, which the record names: when nodes
/// share a store and another node wrote it, the record is there but the file is not.
std::string evidence_unavailable(RouteContext& ctx, const storage::EvidenceRecord& e) {
  if (!e.masked) return "";  // answered when asked: no masked version
  auto path = evidence_path(ctx, e, false);
  if (!path) return "";
  std::error_code ec;
  if (std::filesystem::is_regular_file(*path, ec)) return "";
  const std::string& here = ctx.d.options.node_id;  // set when nodes share the store
  const std::string missing = "evidence file is missing from this node's evidence folder";
  if (here.empty() || e.node == here) return missing;
  if (!e.node.empty()) {
    return "evidence file is on node " + e.node + ", which wrote it, not on node " + here +
           ": evidence stays on the disk of the node that recorded it; ask node " + e.node +
           ", or share the evidence folder between nodes";
  }
  // Written before records named their node: which one holds it is not known.
  return "evidence file not on node " + here +
         ": it stays on the disk of the node that recorded the alert (the record, older than "
         "node names in evidence records, does not say which); ask that node, or share the "
         "evidence folder between nodes";
}

void get_alert(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto id = id_match(req, 1, "alert id");
  if (!id) return send_status(res, id.status());
  auto alert = ctx.visible_alert(*id, who, res);
  if (!alert) return;
  auto comments = ctx.d.store.comments(*id);
  if (!comments) return send_status(res, comments.status());
  auto evidence = ctx.d.store.evidence(*id);
  if (!evidence) return send_status(res, evidence.status());
  Json c = Json::array();
  for (const auto& x : *comments) c.push_back(comment_json(x));
  Json e = Json::array();
  for (const auto& x : *evidence) {
    if (x.kind == "raw") continue;  // never served as is
    Json item = evidence_json(x, evidence_url(x));
    const std::string why = evidence_unavailable(ctx, x);
    item["available"] = why.empty();
    if (!why.empty()) item["unavailable_reason"] = why;
    e.push_back(std::move(item));
  }
  Json out = alert_json(*alert);
  out["comments"] = c;
  out["evidence"] = e;
  send_json(res, out);
}

/// Runs an AlertService action on a visible alert and answers with the alert.
void alert_action(
    RouteContext& ctx, const Request& req, Response& res, const Principal& who,
    const std::function<Result<storage::AlertRecord>(std::int64_t, const Json&)>& action) {
  auto id = id_match(req, 1, "alert id");
  if (!id) return send_status(res, id.status());
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  if (!ctx.visible_alert(*id, who, res)) return;
  auto done = action(*id, *body);
  if (!done) return send_status(res, done.status());
  send_json(res, alert_json(*done));
}

void seen(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  alert_action(ctx, req, res, who,
               [&](std::int64_t id, const Json&) { return ctx.d.alerts.mark_seen(id, who.user); });
}

void verdict(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  alert_action(ctx, req, res, who,
               [&](std::int64_t id, const Json& body) -> Result<storage::AlertRecord> {
                 auto it = body.find("confirmed");
                 if (it == body.end() || !it->is_boolean()) {
                   return invalid_argument("field 'confirmed' (true or false) is required");
                 }
                 alerts::Verdict v;
                 v.confirmed = it->get<bool>();
                 VIGIE_ASSIGN_OR_RETURN(v.reason, string_field(body, "reason", !v.confirmed, 256));
                 VIGIE_ASSIGN_OR_RETURN(v.comment, string_field(body, "comment", false));
                 if (body.contains("measures")) {
                   VIGIE_ASSIGN_OR_RETURN(v.measures, strings_field(body, "measures"));
                 }
                 return ctx.d.alerts.judge(id, who.user, v);
               });
}

void undo_verdict(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  alert_action(ctx, req, res, who, [&](std::int64_t id, const Json&) {
    return ctx.d.alerts.undo_verdict(id, who.user);
  });
}

void add_comment(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto id = id_match(req, 1, "alert id");
  if (!id) return send_status(res, id.status());
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto text = string_field(*body, "text", true);
  if (!text) return send_status(res, text.status());
  if (!ctx.visible_alert(*id, who, res)) return;
  auto c = ctx.d.alerts.comment(*id, who.user, *text);
  if (!c) return send_status(res, c.status());
  send_json(res, comment_json(*c), 201);
}

void assign(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  alert_action(
      ctx, req, res, who, [&](std::int64_t id, const Json& body) -> Result<storage::AlertRecord> {
        VIGIE_ASSIGN_OR_RETURN(const std::string user, string_field(body, "user", false, 64));
        if (!user.empty()) {
          VIGIE_ASSIGN_OR_RETURN(const auto found, ctx.d.users.find(user));
          if (!found.has_value() || found->disabled) {
            return invalid_argument("no active user '" + user + "'");
          }
        }
        return ctx.d.alerts.assign(id, who.user, user);
      });
}

void close_alert(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  alert_action(ctx, req, res, who,
               [&](std::int64_t id, const Json&) { return ctx.d.alerts.close(id, who.user); });
}

void reasons(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  send_json(res, {{"reasons", ctx.d.alerts.reason_codes()}});
}

void evidence(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
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
  if (!ctx.visible_alert(*id, who, res)) return;
  auto files = ctx.d.store.evidence(*id);
  if (!files) return send_status(res, files.status());
  auto it = std::find_if(files->begin(), files->end(),
                         [&](const storage::EvidenceRecord& e) { return e.id == *eid; });
  if (it == files->end() || it->kind == "raw") {
    return send_error(res, 404, "not_found", "no evidence " + std::to_string(*eid));
  }
  auto path = evidence_path(ctx, *it, unmasked);
  if (!path) return send_status(res, path.status());
  std::error_code ec;
  const auto root = std::filesystem::weakly_canonical(ctx.d.evidence_root, ec);
  const auto file = std::filesystem::weakly_canonical(*path, ec);
  const auto rel = file.lexically_relative(root);
  if (ctx.d.evidence_root.empty() || rel.empty() || *rel.begin() == "..") {
    return send_error(res, 404, "not_found", "evidence file is outside the evidence folder");
  }
  const auto size = std::filesystem::file_size(file, ec);
  if (ec) {
    const std::string why = unmasked ? std::string() : evidence_unavailable(ctx, *it);
    return send_error(res, 404, "not_found", why.empty() ? "evidence file is missing" : why);
  }
  // Journaled before a byte is served.
  auto viewed = ctx.d.alerts.view_evidence(*id, *eid, who.user, unmasked, reason);
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

}  // namespace

void add_alert_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/alerts", bind_route(ctx, &list_alerts));
  routes.emplace("GET /api/v1/alerts/{id}", bind_route(ctx, &get_alert));
  routes.emplace("POST /api/v1/alerts/{id}/seen", bind_route(ctx, &seen));
  routes.emplace("POST /api/v1/alerts/{id}/verdict", bind_route(ctx, &verdict));
  routes.emplace("POST /api/v1/alerts/{id}/undo", bind_route(ctx, &undo_verdict));
  routes.emplace("POST /api/v1/alerts/{id}/comments", bind_route(ctx, &add_comment));
  routes.emplace("POST /api/v1/alerts/{id}/assign", bind_route(ctx, &assign));
  routes.emplace("POST /api/v1/alerts/{id}/close", bind_route(ctx, &close_alert));
  routes.emplace("GET /api/v1/alerts/{id}/evidence/{eid}", bind_route(ctx, &evidence));
  routes.emplace("GET /api/v1/reasons", bind_route(ctx, &reasons));
}

}  // namespace vigie::api
