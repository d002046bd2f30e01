// Sessions: login (throttled, journaled), logout and who is logged in.

#include "api/route_context.hpp"

#include <string>
#include <vector>

namespace vigie::api {
namespace {

void login(RouteContext& ctx, const Request& req, Response& res, const Principal&) {
  auto body = parse_body(req, ctx.d.options.max_json_depth);
  if (!body) return send_status(res, body.status());
  auto name = string_field(*body, "user", true, 256);
  if (!name) return send_status(res, name.status());
  auto password = string_field(*body, "password", true, 4096);
  if (!password) return send_status(res, password.status());
  const std::vector<std::string> keys = {"user:" + *name, "addr:" + req.remote_addr};
  // Admitted and counted before the password is checked, so that parallel guesses are
  // refused here instead of all being checked.
  const double wait = ctx.throttle.admit(keys);
  if (wait > 0) {
    ++ctx.logins_refused;
    if (ctx.throttle.first_refusal(keys[0])) {
      (void)ctx.journal(
          *name, "login.failed",
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
  } attempt{ctx.throttle, keys};
  auto user = ctx.d.users.authenticate(*name, *password);
  if (!user) {
    if (user.status().code() != StatusCode::kInvalidArgument) {
      if (user.status().code() == StatusCode::kUnavailable) ++ctx.logins_busy;
      return send_status(res, user.status());
    }
    attempt.outcome = LoginOutcome::kFailed;
    ++ctx.logins_failed;
    (void)ctx.journal(
        *name, "login.failed",
        {{"user", *name}, {"address", req.remote_addr}, {"reason", "wrong user name or password"}});
    return send_error(res, 401, "unauthenticated", "wrong user name or password");
  }
  auto role = govern::role_from_string(user->role);
  if (!role) return send_error(res, 500, "internal", "user has an unknown role");
  // The login counts only once journaled.
  if (Status s =
          ctx.journal(user->name, "login.ok", {{"user", user->name}, {"address", req.remote_addr}});
      !s.is_ok()) {
    return send_status(res, s);
  }
  attempt.outcome = LoginOutcome::kSucceeded;
  ++ctx.logins_ok;
  const std::string token = ctx.sessions.open(Principal{user->name, *role});
  std::string cookie = std::string(kCookieName) + "=" + token +
                       "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" +
                       std::to_string(static_cast<long long>(ctx.d.options.session_idle_s));
  if (ctx.tls) cookie += "; Secure";
  res.set_header("Set-Cookie", cookie);
  send_json(res, {{"token", token}, {"user", user->name}, {"role", user->role}});
}

void logout(RouteContext& ctx, const Request& req, Response& res, const Principal& who) {
  ctx.sessions.close(request_token(req));
  (void)ctx.journal(who.user, "logout", {{"user", who.user}});
  std::string cookie = std::string(kCookieName) + "=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0";
  if (ctx.tls) cookie += "; Secure";
  res.set_header("Set-Cookie", cookie);
  send_json(res, {{"ok", true}});
}

void me(RouteContext&, const Request&, Response& res, const Principal& who) {
  send_json(res, {{"user", who.user}, {"role", std::string(govern::to_string(who.role))}});
}

}  // namespace

void add_session_routes(RouteContext& ctx, HandlerMap& routes) {
  routes.emplace("POST /api/v1/login", bind_route(ctx, &login));
  routes.emplace("POST /api/v1/logout", bind_route(ctx, &logout));
  routes.emplace("GET /api/v1/me", bind_route(ctx, &me));
}

}  // namespace vigie::api
