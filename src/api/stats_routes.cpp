// Statistics: alerts and verdicts by type, camera and hour, with operators' precision and
// times to verdict.

#include "api/route_context.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "core/iso_time.hpp"

namespace vigie::api {
namespace {

constexpr std::size_t kMaxStatsAlerts = 100000;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void stats(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  auto from = time_param(req, "from");
  if (!from) return send_status(res, from.status());
  auto to = time_param(req, "to");
  if (!to) return send_status(res, to.status());
  const storage::TimeMs to_ms_v = to->value_or(ctx.now_ms() + 1);  // up to now, inclusive
  const storage::TimeMs from_ms_v =
      from->value_or(to_ms_v - ctx.d.options.default_stats_days * 24 * 3600 * 1000);
  if (from_ms_v >= to_ms_v)
    return send_error(res, 400, "invalid_argument", "from must be before to");
  auto rows = ctx.d.store.alert_counts(from_ms_v, to_ms_v);
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
    return Json{{"alerts", a.alerts},
                {"confirmed", a.confirmed},
                {"dismissed", a.dismissed},
                {"precision", precision},
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
    auto page = ctx.d.store.alerts(q);
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

}  // namespace

void add_stats_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /api/v1/stats", bind_route(ctx, &stats));
}

}  // namespace vigie::api
