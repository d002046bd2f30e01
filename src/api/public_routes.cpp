// The routes without a session: Prometheus metrics (behind their own token or a loopback
// address), the health check, the public transparency page and its data, and the page
// served at / when no console is installed.

#include "api/route_context.hpp"

#include <algorithm>
#include <mutex>
#include <string>

#include <openssl/crypto.h>

#include "api/transparency.hpp"
#include "core/prometheus.hpp"

namespace vigie::api {
namespace {

const char* kPlaceholderPage =
    "<!DOCTYPE html>\n<html lang=\"fr\"><head><meta charset=\"utf-8\"><title>vigie</title>"
    "</head>\n<body><h1>vigie</h1><p>La console n'est pas installée sur ce nœud. / The console "
    "is not installed on this node.</p><p>API: <code>/api/v1</code> &middot; "
    "<a href=\"/transparency\">Information du public / Public information</a></p></body>"
    "</html>\n";

/// Who may scrape: with api.metrics_token, whoever presents it as a bearer token;
/// without, anyone on a loopback address (or anywhere with api.metrics_public).
bool metrics_allowed(RouteContext& ctx, const Request& req, Response& res) {
  if (!ctx.cfg.metrics_token.empty()) {
    const std::string auth = req.get_header_value("Authorization");
    const std::string given = auth.rfind("Bearer ", 0) == 0 ? auth.substr(7) : std::string();
    if (given.size() == ctx.cfg.metrics_token.size() &&
        CRYPTO_memcmp(given.data(), ctx.cfg.metrics_token.data(), given.size()) == 0) {
      return true;
    }
    send_error(res, 401, "unauthenticated",
               "metrics need the header Authorization: Bearer <api.metrics_token>");
    return false;
  }
  if (!is_loopback_address(ctx.cfg.listen) && !ctx.cfg.metrics_public) {
    send_error(res, 403, "permission_denied",
               "metrics are served on a loopback address only (api.metrics_public, or "
               "api.metrics_token for remote scraping)");
    return false;
  }
  return true;
}

void metrics(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  if (!metrics_allowed(ctx, req, res)) return;
  PrometheusText m;
  {
    std::lock_guard lock(ctx.counts_mutex);
    m.family("vigie_alert_events_total", MetricType::kCounter,
             "Alert changes pushed since start, by action and type.");
    for (const auto& [key, n] : ctx.event_counts) {
      const auto& [action, type, calibration] = key;
      m.sample(
          {{"action", action}, {"type", type}, {"calibration", calibration ? "true" : "false"}},
          static_cast<double>(n));
    }
    m.family("vigie_api_responses_total", MetricType::kCounter,
             "API responses since start, by status class.");
    for (const auto& [cls, n] : ctx.responses) m.sample({{"class", cls}}, static_cast<double>(n));
  }
  m.family("vigie_alert_latency_seconds", MetricType::kHistogram,
           "From the wall time of the frame that completed the event to the alert stored and "
           "journaled (stage stored), and to its live push written to each console "
           "(stage pushed). Calibration alerts are not counted.")
      .histogram({{"stage", "stored"}}, ctx.stored_latency.snapshot())
      .histogram({{"stage", "pushed"}}, ctx.pushed_latency.snapshot());
  auto head = ctx.d.store.journal_head();
  m.gauge("vigie_journal_head_seq", "Sequence number of the newest journal record.",
          static_cast<double>(head && head->has_value() ? (*head)->seq : 0));
  m.family("vigie_logins_total", MetricType::kCounter, "Login attempts since start, by result.")
      .sample({{"result", "ok"}}, static_cast<double>(ctx.logins_ok.load()))
      .sample({{"result", "failed"}}, static_cast<double>(ctx.logins_failed.load()))
      .sample({{"result", "rate_limited"}}, static_cast<double>(ctx.logins_refused.load()))
      .sample({{"result", "busy"}}, static_cast<double>(ctx.logins_busy.load()));
  m.counter("vigie_password_checks_refused_total",
            "Password hashes and checks refused because the hashing threads were busy.",
            static_cast<double>(ctx.d.users.hash_stats().refused));
  m.gauge("vigie_api_sessions", "Open console and API sessions.",
          static_cast<double>(ctx.sessions.size()));
  m.gauge("vigie_sse_clients", "Open event streams.", static_cast<double>(ctx.hub.clients()));
  m.counter("vigie_sse_dropped_total", "Event streams dropped for falling behind.",
            static_cast<double>(ctx.hub.dropped_total()));
  m.gauge("vigie_api_connections", "Open API connections, event streams not counted.",
          static_cast<double>(ctx.connections.connections()));
  m.counter("vigie_api_connections_refused_total",
            "Connections refused for the total or per-address cap.",
            static_cast<double>(ctx.connections.refused()));
  m.gauge("vigie_analysis_stopped", "1 while a global stop is in force.",
          ctx.d.governance.global_stop().stopped ? 1 : 0);
  if (ctx.d.metrics_extra) ctx.d.metrics_extra(m);
  res.set_content(m.text(), "text/plain; version=0.0.4; charset=utf-8");
}

void healthz(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  auto head = ctx.d.store.journal_head();
  if (!head) return send_error(res, 503, "unavailable", "store: " + head.status().message());
  // Reading is not enough: a full disk still reads, while alerts and the journal can no
  // longer be written.
  if (const std::string problem = ctx.d.store.commit_problem(); !problem.empty()) {
    return send_error(res, 503, "unavailable", "store: commits fail: " + problem);
  }
  send_json(res, {{"status", "ok"}});
}

/// The public information, with the journal's head: anyone may note it, and a journal
/// whose end is later removed no longer reaches it (vigie journal verify --expect-head).
Json public_info(RouteContext& ctx) {
  Json info = transparency_json(ctx.d.governance, ctx.d.public_cameras, ctx.now_ms());
  if (auto head = ctx.d.store.journal_head(); head.is_ok() && *head) {
    info["journal_head"] = {{"seq", (*head)->seq}, {"hash", (*head)->hash}};
  }
  return info;
}

void transparency_page(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  res.set_header("Cache-Control", "no-cache");
  res.set_content(transparency_html(public_info(ctx)), "text/html; charset=utf-8");
}

void transparency_data(RouteContext& ctx, const Request&, Response& res, const Principal&) {
  res.set_header("Cache-Control", "no-cache");
  send_json(res, public_info(ctx));
}

void console(RouteContext&, const Request&, Response& res, const Principal&) {
  res.set_content(kPlaceholderPage, "text/html; charset=utf-8");
}

}  // namespace

void add_public_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("GET /metrics", bind_route(ctx, &metrics));
  routes.emplace("GET /healthz", bind_route(ctx, &healthz));
  routes.emplace("GET /transparency", bind_route(ctx, &transparency_page));
  routes.emplace("GET /transparency.json", bind_route(ctx, &transparency_data));
  routes.emplace("GET /", bind_route(ctx, &console));
}

}  // namespace vigie::api
