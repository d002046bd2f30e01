// The server's core: httplib's setup, the checks every request passes (path, size, session,
// cross-site writes, role, connection caps), the default headers and the route table's
// registration. The handlers are in the *_routes.cpp files, by route group.

#include "api/api_server.hpp"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <spdlog/spdlog.h>

#include "api/route_context.hpp"
#include "api/routes.hpp"
#include "core/redact.hpp"
#include "core/worker.hpp"

namespace vigie::api {
namespace {

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

}  // namespace

bool is_loopback_address(const std::string& address) {
  return address == "localhost" || address == "::1" || address == "[::1]" ||
         address.rfind("127.", 0) == 0;
}

struct ApiServer::Impl {
  Impl(ApiDeps deps, config::ApiConfig config) : ctx(std::move(deps), std::move(config)) {}

  RouteContext ctx;
  std::unique_ptr<httplib::Server> server;  // start() and stop()'s thread only
  int port = 0;                             // set by start(), cleared by stop()
  int alert_token = 0;                      // start() and stop()'s thread only
  // Runs httplib's accept loop, which ends on server->stop() (it knows no stop token).
  Worker thread;

  std::optional<Principal> authenticate(const Request& req) {
    return ctx.sessions.find(request_token(req));
  }

  static HandlerMap handlers(RouteContext& ctx) {
    HandlerMap routes;
    add_session_routes(ctx, routes);
    add_camera_routes(ctx, routes);
    add_alert_routes(ctx, routes);
    add_console_routes(ctx, routes);
    add_governance_routes(ctx, routes);
    add_journal_routes(ctx, routes);
    add_stats_routes(ctx, routes);
    add_user_routes(ctx, routes);
    add_event_routes(ctx, routes);
    add_public_routes(ctx, routes);
    return routes;
  }

  Status register_routes() {
    auto table = handlers(ctx);
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
          if (const std::string why = cross_site_write(req, ctx.tls); !why.empty()) {
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
      ctx.stored_latency.observe(ctx.alert_age_s(e.alert));
    }
    std::lock_guard lock(ctx.counts_mutex);
    ++ctx.event_counts[{e.action, std::string(to_string(e.alert.type)), e.alert.calibration}];
  }
};

ApiServer::ApiServer(ApiDeps deps, config::ApiConfig config)
    : impl_(std::make_unique<Impl>(std::move(deps), std::move(config))) {}

ApiServer::~ApiServer() { stop(); }

int ApiServer::port() const { return impl_->port; }

Status ApiServer::start() {
  Impl& m = *impl_;
  if (m.server) return Status(StatusCode::kFailedPrecondition, "already started");
  const bool want_tls = !m.ctx.cfg.tls_cert.empty() || !m.ctx.cfg.tls_key.empty();
  if (want_tls && (m.ctx.cfg.tls_cert.empty() || m.ctx.cfg.tls_key.empty())) {
    return invalid_argument("api: tls_cert and tls_key go together");
  }
  m.server =
      make_limited_server(m.ctx.limits, m.ctx.connections, m.ctx.cfg.tls_cert, m.ctx.cfg.tls_key);
  if (!m.server) {
    return invalid_argument("api: cannot use the TLS certificate '" + m.ctx.cfg.tls_cert +
                            "' with its key");
  }
  m.ctx.tls = want_tls;
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
  s.set_payload_max_length(m.ctx.d.options.max_body_bytes);
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
    std::lock_guard lock(m.ctx.counts_mutex);
    ++m.ctx.responses[std::to_string(res.status / 100) + "xx"];
  });
  if (!m.ctx.cfg.console_dir.empty()) {
    std::error_code ec;
    if (std::filesystem::is_directory(m.ctx.cfg.console_dir, ec)) {
      s.set_mount_point("/", m.ctx.cfg.console_dir);
    } else {
      spdlog::warn("api: console folder '{}' not found; serving a placeholder",
                   m.ctx.cfg.console_dir);
    }
  }
  if (Status st = m.register_routes(); !st.is_ok()) {
    m.server.reset();
    return st;
  }
  if (m.ctx.cfg.port == 0) {
    m.port = s.bind_to_any_port(m.ctx.cfg.listen);
    if (m.port <= 0) m.port = 0;
  } else if (s.bind_to_port(m.ctx.cfg.listen, m.ctx.cfg.port)) {
    m.port = m.ctx.cfg.port;
  }
  if (m.port == 0) {
    m.server.reset();
    return unavailable("api: cannot listen on " + m.ctx.cfg.listen + ":" +
                       std::to_string(m.ctx.cfg.port));
  }
  widen_backlog(s, 256);
  if (!m.ctx.d.options.events_from_journal) {
    m.alert_token = m.ctx.d.alerts.subscribe([&m](const alerts::AlertEvent& e) {
      m.count_event(e);
      m.ctx.hub.publish(e);
    });
  }
  // httplib's request threads are started by this one and inherit its name.
  m.thread = Worker("vigie-api", [&s](const std::stop_token&) { s.listen_after_bind(); });
  // stop() is only effective once the server runs: wait for it, so start() then stop() is safe.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!s.is_running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  spdlog::info("api: serving {}://{}:{}", m.ctx.tls ? "https" : "http", m.ctx.cfg.listen, m.port);
  return Status::ok();
}

void ApiServer::push_event(const alerts::AlertEvent& event) {
  Impl& m = *impl_;
  if (!m.ctx.d.options.events_from_journal) return;
  m.count_event(event);
  m.ctx.hub.publish(event);
}

void ApiServer::stop() {
  Impl& m = *impl_;
  if (!m.server) return;
  if (m.alert_token != 0) m.ctx.d.alerts.unsubscribe(m.alert_token);
  m.alert_token = 0;
  m.ctx.hub.close_all();
  m.server->stop();
  m.thread.stop();
  m.server.reset();
  m.port = 0;
}

}  // namespace vigie::api
