// Users: listing, creating and changing them (role, password, disabled).

#include "api/route_context.hpp"

#include <string>

#include "api/views.hpp"

namespace vigie::api {
namespace {

void list_users(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  auto users = ctx.d.users.list();
  if (!users) return send_status(res, users.status());
  Json out = Json::array();
  for (const auto& u : *users) out.push_back(user_json(u));
  send_json(res, {{"users", out}});
}

void create_user(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto name = string_field(*body, "name", true, 64);
  if (!name) return send_status(res, name.status());
  auto role_name = string_field(*body, "role", true, 32);
  if (!role_name) return send_status(res, role_name.status());
  auto role = govern::role_from_string(*role_name);
  if (!role) return send_error(res, 400, "invalid_argument", "unknown role '" + *role_name + "'");
  auto password = string_field(*body, "password", true);
  if (!password) return send_status(res, password.status());
  auto user = ctx.d.users.create(who.user, *name, *role, *password);
  if (!user) return send_status(res, user.status());
  send_json(res, user_json(*user), 201);
}

void update_user(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  const std::string name = req.matches[1].str();
  auto body = parse_body(req, ctx.d.options.max_json_depth);
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
  if (name == who.user &&
      ((change.role && *change.role != govern::Role::kAdmin) || change.disabled.value_or(false))) {
    return send_error(res, 409, "failed_precondition",
                      "an admin cannot disable or demote their own account");
  }
  auto user = ctx.d.users.update(who.user, name, change);
  if (!user) return send_status(res, user.status());
  ctx.sessions.close_user(name);  // the old role or password must not live on in a session
  send_json(res, user_json(*user));
}

}  // namespace

void add_user_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/users", bind_route(ctx, &list_users));
  routes.emplace("POST /api/v1/users", bind_route(ctx, &create_user));
  routes.emplace("PATCH /api/v1/users/{name}", bind_route(ctx, &update_user));
}

}  // namespace vigie::api
