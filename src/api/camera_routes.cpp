// Cameras: their state, latest analysed frame and geometry, and the system overview.

#include <algorithm>
#include <string>
#include <utility>

#include "api/route_context.hpp"
#include "api/views.hpp"
#include "config/loader.hpp"

namespace vigie::api {
namespace {

void list_cameras(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  Json out = Json::array();
  for (const auto& c : ctx.cameras()) out.push_back(camera_json(c, ctx.d.governance.permit(c.id)));
  send_json(res, {{"cameras", out}});
}

void get_camera(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  const std::string id = req.matches[1].str();
  for (const auto& c : ctx.cameras()) {
    if (c.id == id) return send_json(res, camera_json(c, ctx.d.governance.permit(c.id)));
  }
  send_error(res, 404, "not_found", "no camera '" + id + "'");
}

void camera_frame(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  const std::string id = req.matches[1].str();
  if (!ctx.d.camera_frame) {
    return send_error(res, 501, "unimplemented", "live frames are not available on this node");
  }
  auto jpeg = ctx.d.camera_frame(id);
  if (!jpeg) return send_status(res, jpeg.status());
  res.set_header("Cache-Control", "no-store");
  res.set_content(std::move(*jpeg), "image/jpeg");
}

void get_geometry(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  const std::string id = req.matches[1].str();
  if (!ctx.d.camera_geometry) {
    return send_error(res, 501, "unimplemented", "camera geometry is not available on this node");
  }
  auto g = ctx.d.camera_geometry(id);
  if (!g) return send_status(res, g.status());
  send_json(res, *g);
}

void put_geometry(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  const std::string id = req.matches[1].str();
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  if (!ctx.d.set_camera_geometry) {
    return send_error(res, 501, "unimplemented", "camera geometry is not available on this node");
  }
  const std::string flag = req.get_param_value("dry_run");
  const bool dry_run = flag == "1" || flag == "true";
  // Only the geometry's keys; what the GET adds (sizes, who changed it) is ignored.
  Json geometry = Json::object();
  const auto& keys = config::geometry_keys();
  for (const std::string& key : keys) {
    if (body->contains(key)) geometry[key] = (*body)[key];
  }
  for (const auto& [key, value] : body->items()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end() || key == "camera" ||
        key == "source_width" || key == "source_height" || key == "updated_ms" ||
        key == "updated_by") {
      continue;
    }
    return send_field_errors(res, {{key, "unknown key"}});
  }
  GeometryChange change = ctx.d.set_camera_geometry(id, geometry, who.user, dry_run);
  if (!change.errors.empty()) return send_field_errors(res, change.errors);
  if (!change.status.is_ok()) return send_status(res, change.status);
  send_json(
      res,
      {{"camera", id}, {"dry_run", dry_run}, {"before", change.before}, {"after", change.after}});
}

// The camera's view changed (moved, covered, blurred, blinded) and its rules wait: a
// supervisor who checked it makes the view as it is now the reference.
void accept_view(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  if (!ctx.d.accept_view) {
    return send_error(res, 501, "unimplemented", "view checks are not available on this node");
  }
  const std::string id = req.matches[1].str();
  if (Status s = ctx.d.accept_view(id, who.user); !s.is_ok()) return send_status(res, s);
  send_json(res, {{"camera", id}, {"accepted", true}});
}

void system(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  Json out = ctx.d.system ? ctx.d.system() : Json::object();
  Json cams = Json::array();
  for (const auto& c : ctx.cameras()) cams.push_back(camera_json(c, ctx.d.governance.permit(c.id)));
  out["cameras"] = cams;
  out["sse_clients"] = ctx.hub.clients();
  out["sessions"] = ctx.sessions.size();
  out["analysis_stopped"] = ctx.d.governance.global_stop().stopped;
  send_json(res, out);
}

}  // namespace

void add_camera_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/cameras", bind_route(ctx, &list_cameras));
  routes.emplace("POST /api/v1/cameras/{id}/accept-view", bind_route(ctx, &accept_view));
  routes.emplace("GET /api/v1/cameras/{id}", bind_route(ctx, &get_camera));
  routes.emplace("GET /api/v1/cameras/{id}/frame.jpg", bind_route(ctx, &camera_frame));
  routes.emplace("GET /api/v1/cameras/{id}/geometry", bind_route(ctx, &get_geometry));
  routes.emplace("PUT /api/v1/cameras/{id}/geometry", bind_route(ctx, &put_geometry));
  routes.emplace("GET /api/v1/system", bind_route(ctx, &system));
}

}  // namespace vigie::api
