// Authorizations, stopping and resuming analysis, and reloading the configuration.

#include "api/route_context.hpp"

#include <string>
#include <string_view>

#include "api/views.hpp"
#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

void list_authorizations(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  Json out = Json::array();
  const auto now = ctx.now_ms();
  for (const auto& a : ctx.d.governance.authorizations()) out.push_back(authorization_json(a, now));
  send_json(res, {{"authorizations", out}});
}

void add_authorization(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
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
  if (Status s = ctx.d.governance.authorize(who.user, a); !s.is_ok()) return send_status(res, s);
  send_json(res, authorization_json(a, ctx.now_ms()), 201);
}

void revoke_authorization(RouteContext& ctx, const Request& req, Response& res,
                          const Principal& who) {
  const std::string reference = req.matches[1].str();
  if (Status s = ctx.d.governance.revoke(who.user, reference); !s.is_ok()) {
    return send_status(res, s);
  }
  send_json(res, {{"ok", true}, {"reference", reference}});
}

Json stop_state(RouteContext& ctx) {
  Json cams = Json::object();
  for (const auto& [id, info] : ctx.d.governance.camera_stops()) cams[id] = stop_json(info);
  return {{"global", stop_json(ctx.d.governance.global_stop())}, {"cameras", cams}};
}

Status check_camera(RouteContext& ctx, const std::string& camera) {
  if (camera.empty()) return Status::ok();
  const auto list = ctx.cameras();
  if (list.empty()) return Status::ok();  // no engine view: Governance decides
  for (const auto& c : list) {
    if (c.id == camera) return Status::ok();
  }
  return not_found("no camera '" + camera + "'");
}

void get_stop(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  send_json(res, stop_state(ctx));
}

void stop_analysis(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto camera = string_field(*body, "camera", false, 64);
  if (!camera) return send_status(res, camera.status());
  auto reason = string_field(*body, "reason", true, 1024);
  if (!reason) return send_status(res, reason.status());
  if (reason->empty()) return send_error(res, 400, "invalid_argument", "a stop needs a reason");
  if (Status s = check_camera(ctx, *camera); !s.is_ok()) return send_status(res, s);
  if (Status s = ctx.d.governance.stop(who.user, *camera, *reason); !s.is_ok()) {
    return send_status(res, s);
  }
  send_json(res, stop_state(ctx));
}

void resume_analysis(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto camera = string_field(*body, "camera", false, 64);
  if (!camera) return send_status(res, camera.status());
  if (Status s = check_camera(ctx, *camera); !s.is_ok()) return send_status(res, s);
  if (Status s = ctx.d.governance.resume(who.user, *camera); !s.is_ok()) {
    return send_status(res, s);
  }
  send_json(res, stop_state(ctx));
}

// The configuration file read again: 400 with every error when it is refused (nothing
// changed), else what the reload changed.
void reload_config(RouteContext& ctx, const Request&, Response& res, const Principal& who) {
  if (!ctx.d.reload) {
    return send_error(res, 501, "unimplemented", "this node cannot reload its configuration");
  }
  ConfigReload r = ctx.d.reload(who.user);
  if (!r.errors.empty()) return send_field_errors(res, r.errors);
  if (!r.status.is_ok()) return send_status(res, r.status);
  send_json(res, r.summary);
}

}  // namespace

void add_governance_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/authorizations", bind_route(ctx, &list_authorizations));
  routes.emplace("POST /api/v1/authorizations", bind_route(ctx, &add_authorization));
  routes.emplace("DELETE /api/v1/authorizations/{reference}",
                 bind_route(ctx, &revoke_authorization));
  routes.emplace("GET /api/v1/stop", bind_route(ctx, &get_stop));
  routes.emplace("POST /api/v1/stop", bind_route(ctx, &stop_analysis));
  routes.emplace("POST /api/v1/resume", bind_route(ctx, &resume_analysis));
  routes.emplace("POST /api/v1/reload", bind_route(ctx, &reload_config));
}

}  // namespace vigie::api
