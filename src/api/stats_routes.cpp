// Statistics: alerts and verdicts by type, camera and hour, with operators' precision and
// times to verdict (computed in alerts/statistics.hpp; shaped as JSON here).

#include "api/route_context.hpp"

#include <chrono>
#include <optional>
#include <string>

#include "alerts/statistics.hpp"
#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

Json optional_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Json tally_json(const alerts::VerdictTally& a) {
  return Json{{"alerts", a.alerts},
              {"confirmed", a.confirmed},
              {"dismissed", a.dismissed},
              {"precision", optional_json(a.precision())},
              {"mean_verdict_s", optional_json(a.mean_verdict_s())}};
}

Json statistics_json(const alerts::AlertStatistics& s) {
  Json types = Json::object();
  for (const auto& [type, t] : s.by_type) {
    Json j = tally_json(t.tally);
    j["median_verdict_s"] = optional_json(t.median_verdict_s);
    Json cams = Json::object();
    for (const auto& [camera, tally] : t.by_camera) cams[camera] = tally_json(tally);
    j["cameras"] = cams;
    types[type] = j;
  }
  Json cams = Json::object();
  for (const auto& [camera, tally] : s.by_camera) cams[camera] = tally_json(tally);
  Json hours = Json::array();
  for (const auto& [h, n] : s.by_hour) {
    hours.push_back({{"hour_ms", h},
                     {"hour", format_iso8601(std::chrono::system_clock::time_point(
                                  std::chrono::milliseconds(h)))},
                     {"alerts", n}});
  }
  Json total = tally_json(s.total);
  total["median_verdict_s"] = optional_json(s.median_verdict_s);
  return {{"from_ms", s.from_ms},
          {"to_ms", s.to_ms},
          {"total", total},
          {"by_type", types},
          {"by_camera", cams},
          {"by_hour", hours},
          {"median_truncated", s.median_truncated},
          {"calibration",
           {{"alerts", s.calibration.alerts},
            {"by_type", s.calibration.by_type},
            {"by_camera", s.calibration.by_camera}}}};
}

void stats(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  auto from = time_param(req, "from");
  if (!from) return send_status(res, from.status());
  auto to = time_param(req, "to");
  if (!to) return send_status(res, to.status());
  const storage::TimeMs to_ms = to->value_or(ctx.now_ms() + 1);  // up to now, inclusive
  const storage::TimeMs from_ms =
      from->value_or(to_ms - ctx.d.options.default_stats_days * 24 * 3600 * 1000);
  auto s = alerts::compute_statistics(ctx.d.store, from_ms, to_ms);
  if (!s) return send_status(res, s.status());
  send_json(res, statistics_json(*s));
}

}  // namespace

void add_stats_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/stats", bind_route(ctx, &stats));
}

}  // namespace vigie::api
