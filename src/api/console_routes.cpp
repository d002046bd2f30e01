// The console's settings (escalation, muting, verdict undo, reasons, measures) and muting.

#include "api/route_context.hpp"

#include <string>

namespace vigie::api {
namespace {

/// Alerts where a life may be at stake: their tone repeats until someone opens them, no
/// console may mute them, and they escalate when left waiting.
bool is_critical(EventType t) {
  return t == EventType::kWeapon || t == EventType::kFire || t == EventType::kPersonOnGround;
}

void console_settings(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  Json measures = Json::object();
  for (const auto& [type, list] : ctx.d.alerts.options().measures) {
    measures[std::string(to_string(type))] = list;
  }
  Json critical = Json::array();
  for (EventType t : kAllEventTypes) {
    if (is_critical(t)) critical.push_back(std::string(to_string(t)));
  }
  send_json(res, {{"escalate_after_s", ctx.d.console.escalate_after_s},
                  {"mute_minutes", ctx.d.console.mute_minutes},
                  {"verdict_undo_s", ctx.d.alerts.options().verdict_undo_s},
                  {"critical_types", critical},
                  {"reasons", ctx.d.alerts.reason_codes()},
                  {"measures", measures}});
}

/// Muting is the console's (a browser's sound); the API checks and journals it, so that
/// who silenced which alerts, and for how long, is on record.
void console_mute(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto type_name = string_field(*body, "type", true, 64);
  if (!type_name) return send_status(res, type_name.status());
  auto type = parse_event_type(*type_name);
  if (!type)
    return send_error(res, 400, "invalid_argument", "'" + *type_name + "' is not an event type");
  auto it = body->find("muted");
  if (it == body->end() || !it->is_boolean()) {
    return send_error(res, 400, "invalid_argument", "field 'muted' (true or false) is required");
  }
  const bool muted = it->get<bool>();
  if (muted && is_critical(*type)) {
    return send_error(res, 409, "failed_precondition",
                      *type_name + " alerts are critical and cannot be muted");
  }
  const double minutes = ctx.d.console.mute_minutes;
  Json detail = {{"type", *type_name}};
  if (muted) detail["minutes"] = minutes;
  if (Status s = ctx.journal(who.user, muted ? "console.muted" : "console.unmuted", detail);
      !s.is_ok()) {
    return send_status(res, s);
  }
  Json out = {{"type", *type_name}, {"muted", muted}};
  if (muted) out["until_ms"] = ctx.now_ms() + static_cast<storage::TimeMs>(minutes * 60000.0);
  send_json(res, out);
}

}  // namespace

void add_console_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/console", bind_route(ctx, &console_settings));
  routes.emplace("POST /api/v1/console/mute", bind_route(ctx, &console_mute));
}

}  // namespace vigie::api
