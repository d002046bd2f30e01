// The API over real HTTP on 127.0.0.1: sessions and login throttling, the role table walked
// route by route, alerts and their workflow, evidence, stop, journal, statistics, users, the
// event stream with resumption, metrics, transparency and TLS.

#include <gtest/gtest.h>
#ifdef VIGIE_TEST_SQLITE_STORE
#include <sqlite3.h>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "api/api_harness.hpp"
#include "api/routes.hpp"
#include "support/prometheus_check.hpp"

namespace vigie::testing {
namespace {

using nlohmann::json;

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& token,
                     const json& body = json::object()) {
  return c.Post(path, bearer(token), body.dump(), "application/json");
}

httplib::Result get(httplib::Client& c, const std::string& path, const std::string& token) {
  return c.Get(path, bearer(token));
}

std::vector<json> journal_records(storage::Store& store, const std::string& action) {
  storage::JournalQuery q;
  q.action_prefix = action;
  auto r = store.journal(q);
  std::vector<json> out;
  if (!r) return out;
  for (const auto& rec : *r) {
    out.push_back({{"actor", rec.actor}, {"action", rec.action}, {"detail", rec.detail}});
  }
  return out;
}

std::string whole_journal(storage::Store& store) {
  auto r = store.journal({});
  std::string out;
  if (!r) return out;
  for (const auto& rec : *r) out += rec.actor + " " + rec.action + " " + rec.detail.dump() + "\n";
  return out;
}

// ---- sessions ----------------------------------------------------------------------------

TEST(ApiLogin, OkSetsAStrictCookieAndIsJournaled) {
  ApiHarness h;
  auto c = h.client();
  auto r = c->Post("/api/v1/login", json{{"user", "op"}, {"password", kPassword}}.dump(),
                   "application/json");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json body = json::parse(r->body);
  EXPECT_EQ(body["user"], "op");
  EXPECT_EQ(body["role"], "operator");
  const std::string token = body["token"];
  EXPECT_EQ(token.size(), 64U);
  const std::string cookie = r->get_header_value("Set-Cookie");
  EXPECT_NE(cookie.find("vigie_session=" + token), std::string::npos) << cookie;
  EXPECT_NE(cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(cookie.find("SameSite=Strict"), std::string::npos);
  EXPECT_EQ(cookie.find("Secure"), std::string::npos) << "plain HTTP: no Secure flag";

  // Both the bearer token and the cookie authenticate.
  auto me = get(*c, "/api/v1/me", token);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 200);
  EXPECT_EQ(json::parse(me->body)["role"], "operator");
  auto by_cookie = c->Get("/api/v1/me", {{"Cookie", "other=1; vigie_session=" + token}});
  ASSERT_TRUE(by_cookie);
  EXPECT_EQ(by_cookie->status, 200);

  const auto ok = journal_records(*h.store, "login.ok");
  ASSERT_EQ(ok.size(), 1U);
  EXPECT_EQ(ok[0]["actor"], "op");
  EXPECT_EQ(whole_journal(*h.store).find(kPassword), std::string::npos);

  // Logout ends the session.
  auto out = post(*c, "/api/v1/logout", token);
  ASSERT_TRUE(out);
  EXPECT_EQ(out->status, 200);
  auto after = get(*c, "/api/v1/me", token);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 401);
}

TEST(ApiLogin, WrongPasswordIs401AndJournaledWithoutThePassword) {
  ApiHarness h;
  auto c = h.client();
  auto r = c->Post("/api/v1/login", json{{"user", "op"}, {"password", "guess-123456"}}.dump(),
                   "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  EXPECT_EQ(json::parse(r->body)["error"]["code"], "unauthenticated");
  auto unknown = c->Post("/api/v1/login", json{{"user", "nobody"}, {"password", "x"}}.dump(),
                         "application/json");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 401);
  EXPECT_EQ(unknown->body, r->body) << "an unknown name and a wrong password look the same";
  const auto failed = journal_records(*h.store, "login.failed");
  ASSERT_EQ(failed.size(), 2U);
  EXPECT_EQ(failed[0]["detail"]["user"], "op");
  EXPECT_EQ(failed[0]["detail"]["address"], "127.0.0.1");
  EXPECT_EQ(whole_journal(*h.store).find("guess-123456"), std::string::npos);
}

TEST(ApiLogin, RepeatedFailuresAreRateLimitedPerUserAndPerAddress) {
  ApiHarness h;
  auto c = h.client();
  for (int i = 0; i < 5; ++i) {
    auto r = c->Post("/api/v1/login", json{{"user", "op"}, {"password", "wrong-password"}}.dump(),
                     "application/json");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 401) << "attempt " << i;
  }
  // Even the right password is refused while the user is locked.
  auto locked = c->Post("/api/v1/login", json{{"user", "op"}, {"password", kPassword}}.dump(),
                        "application/json");
  ASSERT_TRUE(locked);
  EXPECT_EQ(locked->status, 429) << locked->body;
  EXPECT_EQ(json::parse(locked->body)["error"]["code"], "resource_exhausted");
  const int retry = std::atoi(locked->get_header_value("Retry-After").c_str());
  EXPECT_GT(retry, 0);
  EXPECT_LE(retry, 30);
  // The address is locked too (all attempts came from 127.0.0.1): another user is refused.
  auto other = c->Post("/api/v1/login", json{{"user", "sup"}, {"password", kPassword}}.dump(),
                       "application/json");
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 429);
  bool journaled = false;
  for (const auto& r : journal_records(*h.store, "login.failed")) {
    journaled = journaled || r["detail"]["reason"] == "rate_limited";
  }
  EXPECT_TRUE(journaled);
}

// ---- the role table, walked -------------------------------------------------------------

struct WalkContext {
  std::int64_t alert_id = 0;
  std::int64_t evidence_id = 0;
  int counter = 0;
};

std::string concrete_path(std::string_view path, const WalkContext& w) {
  std::string p(path);
  auto replace = [&](const std::string& from, const std::string& to) {
    if (auto at = p.find(from); at != std::string::npos) p.replace(at, from.size(), to);
  };
  replace("{id}", p.find("/cameras/") != std::string::npos ? "cam-a" : std::to_string(w.alert_id));
  replace("{eid}", std::to_string(w.evidence_id));
  replace("{reference}", "ARR-WALK");
  replace("{name}", "walk-target");
  return p;
}

json sample_body(std::string_view method, std::string_view path, WalkContext& w) {
  if (method == "POST" && path == "/api/v1/login") return {{"user", "op"}, {"password", kPassword}};
  if (path == "/api/v1/alerts/{id}/verdict") return {{"confirmed", true}};
  if (path == "/api/v1/alerts/{id}/comments") return {{"text", "walk"}};
  if (path == "/api/v1/console/mute") return {{"type", "intrusion"}, {"muted", true}};
  if (path == "/api/v1/alerts/{id}/assign") return {{"user", "op"}};
  if (path == "/api/v1/authorizations") {
    return {{"reference", "ARR-WALK-" + std::to_string(++w.counter)},
            {"cameras", {"cam-b"}},
            {"event_types", {"fire"}},
            {"start", "2026-01-01T00:00:00Z"},
            {"end", "2026-02-01T00:00:00Z"},
            {"controller", "walk"}};
  }
  if (path == "/api/v1/stop") return {{"reason", "walk"}, {"camera", "cam-b"}};
  if (path == "/api/v1/resume") return {{"camera", "cam-b"}};
  if (path == "/api/v1/users") {
    return {{"name", "walk-" + std::to_string(++w.counter)},
            {"role", "operator"},
            {"password", "walk-password-1"}};
  }
  if (path == "/api/v1/users/{name}") return {{"disabled", false}};
  if (path == "/api/v1/cameras/{id}/geometry") return {{"zones", json::array()}};
  return json::object();
}

/// The status of a request; for the event stream, the status of its headers (the body never
/// ends).
int status_of(httplib::Client& c, std::string_view method, const std::string& path,
              const httplib::Headers& headers, const json& body) {
  if (method == "GET" && path == "/api/v1/events") {
    int status = 0;
    (void)c.Get(
        path, headers,
        [&](const httplib::Response& r) {
          status = r.status;
          return false;
        },
        [](const char*, std::size_t) { return false; });
    return status;
  }
  auto send = [&]() -> httplib::Result {
    if (method == "POST") return c.Post(path, headers, body.dump(), "application/json");
    if (method == "PUT") return c.Put(path, headers, body.dump(), "application/json");
    if (method == "PATCH") return c.Patch(path, headers, body.dump(), "application/json");
    if (method == "DELETE") return c.Delete(path, headers);
    return c.Get(path, headers);
  };
  auto r = send();
  return r ? r->status : -1;
}

TEST(ApiRoles, EveryRouteWithEveryRoleFollowsTheTable) {
  ApiHarness h;
  WalkContext w;
  w.alert_id = h.raise("cam-a", EventType::kIntrusion).id;
  w.evidence_id = h.add_snapshot(w.alert_id, "jpeg bytes").id;
  ASSERT_TRUE(h.users->create("system", "walk-target", govern::Role::kOperator, kPassword));
  auto c = h.client();

  std::map<govern::Role, std::string> tokens;
  for (govern::Role role : govern::kAllRoles) {
    const std::string user = role == govern::Role::kOperator     ? "op"
                             : role == govern::Role::kSupervisor ? "sup"
                             : role == govern::Role::kAuditor    ? "aud"
                                                                 : "adm";
    tokens[role] = h.login(user);
  }
  int checked = 0;
  for (const api::RouteSpec& spec : api::route_table()) {
    const std::string path = concrete_path(spec.path, w);
    // Anonymous.
    {
      const int status = status_of(*c, spec.method, path, {}, sample_body(spec.method, spec.path, w));
      if (spec.is_public()) {
        EXPECT_NE(status, 401) << spec.method << " " << spec.path;
        EXPECT_NE(status, 403) << spec.method << " " << spec.path;
      } else {
        EXPECT_EQ(status, 401) << "anonymous " << spec.method << " " << spec.path;
      }
      ++checked;
    }
    for (govern::Role role : govern::kAllRoles) {
      const int status = status_of(*c, spec.method, path, bearer(tokens[role]),
                                   sample_body(spec.method, spec.path, w));
      const std::string what = std::string(govern::to_string(role)) + " " +
                               std::string(spec.method) + " " + std::string(spec.path) + " -> " +
                               std::to_string(status);
      EXPECT_GT(status, 0) << what;
      if (spec.is_public() || spec.allows(role)) {
        EXPECT_NE(status, 401) << what;
        EXPECT_NE(status, 403) << what;
      } else {
        EXPECT_EQ(status, 403) << what;
      }
      ++checked;
      if (spec.path == "/api/v1/logout" && status == 200) {
        tokens[role] = h.login(role == govern::Role::kAdmin      ? "adm"
                               : role == govern::Role::kAuditor  ? "aud"
                               : role == govern::Role::kOperator ? "op"
                                                                 : "sup");
      }
    }
  }
  EXPECT_EQ(checked, static_cast<int>(api::route_table().size()) * 5);
}

// ---- alerts -------------------------------------------------------------------------------

TEST(ApiAlerts, FiltersPaginationAndCalibration) {
  ApiHarness h;
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(h.raise("cam-a", EventType::kIntrusion).id);
  ids.push_back(h.raise("cam-a", EventType::kFire).id);
  const auto other = h.raise("cam-c", EventType::kIntrusion).id;
  const auto calibration = h.raise("cam-b", EventType::kDensity, true).id;
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string sup = h.login("sup");

  auto all = body_json(get(*c, "/api/v1/alerts", op));
  ASSERT_TRUE(all.contains("alerts")) << all;
  EXPECT_EQ(all["alerts"].size(), 7U);
  for (const auto& a : all["alerts"]) EXPECT_FALSE(a["calibration"].get<bool>());
  EXPECT_GT(all["alerts"][0]["id"].get<std::int64_t>(), all["alerts"][1]["id"].get<std::int64_t>())
      << "newest first";

  auto fire = body_json(get(*c, "/api/v1/alerts?type=fire", op));
  ASSERT_EQ(fire["alerts"].size(), 1U);
  EXPECT_EQ(fire["alerts"][0]["id"], ids.back());
  auto cam = body_json(get(*c, "/api/v1/alerts?camera=cam-c", op));
  ASSERT_EQ(cam["alerts"].size(), 1U);
  EXPECT_EQ(cam["alerts"][0]["id"], other);

  // Pages of 3 cover everything once, in order.
  std::vector<std::int64_t> paged;
  std::string next;
  for (int page = 0; page < 5; ++page) {
    auto p = body_json(get(*c, "/api/v1/alerts?limit=3" + next, op));
    for (const auto& a : p["alerts"]) paged.push_back(a["id"]);
    if (p["next_before"].is_null()) break;
    next = "&before=" + std::to_string(p["next_before"].get<std::int64_t>());
  }
  ASSERT_EQ(paged.size(), 7U);
  EXPECT_TRUE(std::is_sorted(paged.rbegin(), paged.rend()));
  EXPECT_EQ(std::set<std::int64_t>(paged.begin(), paged.end()).size(), 7U);

  // Calibration alerts: never to operators, on request to supervisors.
  auto refused = get(*c, "/api/v1/alerts?calibration=include", op);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto hidden = get(*c, "/api/v1/alerts/" + std::to_string(calibration), op);
  ASSERT_TRUE(hidden);
  EXPECT_EQ(hidden->status, 404);
  auto only = body_json(get(*c, "/api/v1/alerts?calibration=only", sup));
  ASSERT_EQ(only["alerts"].size(), 1U);
  EXPECT_EQ(only["alerts"][0]["id"], calibration);
  auto include = body_json(get(*c, "/api/v1/alerts?calibration=include", sup));
  EXPECT_EQ(include["alerts"].size(), 8U);

  auto bad = get(*c, "/api/v1/alerts?type=ufo", op);
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_EQ(json::parse(bad->body)["error"]["code"], "invalid_argument");
  auto bad_limit = get(*c, "/api/v1/alerts?limit=0", op);
  ASSERT_TRUE(bad_limit);
  EXPECT_EQ(bad_limit->status, 400);
}

TEST(ApiAlerts, VerdictFlow) {
  ApiHarness h;
  const auto id = h.raise("cam-a", EventType::kIntrusion).id;
  const std::string base = "/api/v1/alerts/" + std::to_string(id);
  auto c = h.client();
  const std::string op = h.login("op");

  auto seen = body_json(post(*c, base + "/seen", op));
  EXPECT_EQ(seen["state"], "seen");
  auto no_reason = post(*c, base + "/verdict", op, {{"confirmed", false}});
  ASSERT_TRUE(no_reason);
  EXPECT_EQ(no_reason->status, 400);
  auto bad_reason = post(*c, base + "/verdict", op, {{"confirmed", false}, {"reason", "meh"}});
  ASSERT_TRUE(bad_reason);
  EXPECT_EQ(bad_reason->status, 400);
  auto reasons = body_json(get(*c, "/api/v1/reasons", op));
  ASSERT_FALSE(reasons["reasons"].empty());
  const std::string reason = reasons["reasons"][0];
  auto judged = post(*c, base + "/verdict", op,
                     {{"confirmed", false}, {"reason", reason}, {"comment", "a shadow"}});
  ASSERT_TRUE(judged);
  ASSERT_EQ(judged->status, 200) << judged->body;
  const json a = json::parse(judged->body);
  EXPECT_EQ(a["state"], "dismissed");
  EXPECT_EQ(a["verdict_by"], "op");
  EXPECT_EQ(a["reason"], reason);

  auto comment = post(*c, base + "/comments", op, {{"text", "checked on site"}});
  ASSERT_TRUE(comment);
  EXPECT_EQ(comment->status, 201);
  auto unknown_user = post(*c, base + "/assign", op, {{"user", "ghost"}});
  ASSERT_TRUE(unknown_user);
  EXPECT_EQ(unknown_user->status, 400);
  auto assigned = body_json(post(*c, base + "/assign", op, {{"user", "sup"}}));
  EXPECT_EQ(assigned["assignee"], "sup");
  auto closed = body_json(post(*c, base + "/close", op));
  EXPECT_EQ(closed["state"], "closed");

  auto full = body_json(get(*c, base, op));
  EXPECT_EQ(full["state"], "closed");
  ASSERT_EQ(full["comments"].size(), 1U);
  EXPECT_EQ(full["comments"][0]["text"], "checked on site");
  EXPECT_EQ(full["comments"][0]["user"], "op");

  auto missing = post(*c, "/api/v1/alerts/99999/seen", op);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto garbage = c->Post(base + "/verdict", bearer(op), "{not json", "application/json");
  ASSERT_TRUE(garbage);
  EXPECT_EQ(garbage->status, 400);
  EXPECT_EQ(json::parse(garbage->body)["error"]["code"], "invalid_argument");
}

TEST(ApiAlerts, EvidenceMaskedForAllUnmaskedForSupervisorsWithAReason) {
  ApiHarness h;
  const auto id = h.raise("cam-a", EventType::kIntrusion).id;
  const auto e = h.add_snapshot(id, "masked-jpeg");
  const std::string url =
      "/api/v1/alerts/" + std::to_string(id) + "/evidence/" + std::to_string(e.id);
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string sup = h.login("sup");

  auto listed = body_json(get(*c, "/api/v1/alerts/" + std::to_string(id), op));
  ASSERT_EQ(listed["evidence"].size(), 1U);
  EXPECT_EQ(listed["evidence"][0]["url"], url);

  auto masked = get(*c, url, op);
  ASSERT_TRUE(masked);
  ASSERT_EQ(masked->status, 200) << masked->body;
  EXPECT_EQ(masked->body, "masked-jpeg");
  EXPECT_EQ(masked->get_header_value("Content-Type"), "image/jpeg");

  auto op_unmasked = get(*c, url + "?unmasked=1&reason=incident", op);
  ASSERT_TRUE(op_unmasked);
  EXPECT_EQ(op_unmasked->status, 403);
  auto no_reason = get(*c, url + "?unmasked=1", sup);
  ASSERT_TRUE(no_reason);
  EXPECT_EQ(no_reason->status, 400);
  auto unmasked = get(*c, url + "?unmasked=1&reason=requisition%2042", sup);
  ASSERT_TRUE(unmasked);
  ASSERT_EQ(unmasked->status, 200) << unmasked->body;
  EXPECT_EQ(unmasked->body, "RAW:masked-jpeg");

  // Each served view is journaled with who, and unmasked ones with the reason.
  const std::string journal = whole_journal(*h.store);
  EXPECT_NE(journal.find("requisition 42"), std::string::npos) << journal;
  auto aud = get(*c, url, h.login("aud"));
  ASSERT_TRUE(aud);
  EXPECT_EQ(aud->status, 403);
  auto wrong = get(*c, "/api/v1/alerts/" + std::to_string(id) + "/evidence/999", op);
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 404);
}

TEST(ApiAlerts, EvidenceRecordedOnAnotherNodeIsMarkedUnavailableWithTheReason) {
  // Nodes sharing a store: the record is there, the file stayed on the disk of the node that
  // wrote it, which the record names. The alert says so instead of giving a link that breaks,
  // and the file's route answers the same reason.
  HarnessOptions options;
  options.tune = [](api::ApiOptions& o) { o.node_id = "node-b"; };
  ApiHarness h(options);
  const auto id = h.raise("cam-a", EventType::kIntrusion).id;
  const auto here = h.add_snapshot(id, "masked-jpeg", "node-b");
  const auto elsewhere = h.add_snapshot(h.raise("cam-b", EventType::kIntrusion).id, "jpeg", "node-a");
  const auto lost_here = h.add_snapshot(h.raise("cam-c", EventType::kIntrusion).id, "x", "node-b");
  const auto unnamed = h.add_snapshot(h.raise("cam-d", EventType::kIntrusion).id, "y");
  for (const auto* e : {&elsewhere, &lost_here, &unnamed}) {
    std::filesystem::remove(h.dir / "evidence" / e->path);
  }
  auto c = h.client();
  const std::string op = h.login("op");

  auto present = body_json(get(*c, "/api/v1/alerts/" + std::to_string(id), op));
  ASSERT_EQ(present["evidence"].size(), 1U);
  EXPECT_EQ(present["evidence"][0]["available"], true);
  EXPECT_EQ(present["evidence"][0]["node"], "node-b");
  EXPECT_FALSE(present["evidence"][0].contains("unavailable_reason"));
  EXPECT_EQ(here.alert_id, id);

  /// The listed evidence of an alert whose file is gone, and its reason.
  const auto reason_for = [&](const storage::EvidenceRecord& e) {
    auto listed = body_json(get(*c, "/api/v1/alerts/" + std::to_string(e.alert_id), op));
    EXPECT_EQ(listed["evidence"].size(), 1U);
    EXPECT_EQ(listed["evidence"][0]["available"], false);
    EXPECT_EQ(listed["evidence"][0]["node"], e.node);
    const std::string why = listed["evidence"][0].value("unavailable_reason", "");
    auto served = get(*c,
                      "/api/v1/alerts/" + std::to_string(e.alert_id) + "/evidence/" +
                          std::to_string(e.id),
                      op);
    EXPECT_TRUE(served && served->status == 404);
    if (served) {
      EXPECT_EQ(json::parse(served->body)["error"]["message"], why);
    }
    return why;
  };
  const std::string other = reason_for(elsewhere);
  EXPECT_NE(other.find("on node node-a, which wrote it, not on node node-b"), std::string::npos)
      << other;
  EXPECT_NE(other.find("ask node node-a"), std::string::npos) << other;
  // Written here and gone from here: no other node to send the operator to.
  const std::string lost = reason_for(lost_here);
  EXPECT_EQ(lost, "evidence file is missing from this node's evidence folder");
  // Recorded before records named their node: which node holds it is not known.
  const std::string unknown = reason_for(unnamed);
  EXPECT_NE(unknown.find("not on node node-b"), std::string::npos) << unknown;
  EXPECT_NE(unknown.find("does not say which"), std::string::npos) << unknown;
}

// ---- governance, journal, statistics, users -----------------------------------------------

TEST(ApiGovernance, OperatorsStopOnlySupervisorsResume) {
  ApiHarness h;
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string sup = h.login("sup");
  auto no_reason = post(*c, "/api/v1/stop", op, json::object());
  ASSERT_TRUE(no_reason);
  EXPECT_EQ(no_reason->status, 400);
  auto unknown = post(*c, "/api/v1/stop", op, {{"camera", "nope"}, {"reason", "x"}});
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  auto stopped = body_json(post(*c, "/api/v1/stop", op, {{"reason", "incident"}}));
  EXPECT_TRUE(stopped["global"]["stopped"].get<bool>()) << stopped;
  EXPECT_EQ(stopped["global"]["by"], "op");
  auto cams = body_json(get(*c, "/api/v1/cameras", op));
  EXPECT_FALSE(cams["cameras"][0]["permit"]["analyse"].get<bool>());
  auto refused = post(*c, "/api/v1/resume", op);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403);
  auto resumed = body_json(post(*c, "/api/v1/resume", sup));
  EXPECT_FALSE(resumed["global"]["stopped"].get<bool>());
  auto cam = body_json(get(*c, "/api/v1/cameras/cam-a", op));
  EXPECT_TRUE(cam["permit"]["analyse"].get<bool>()) << cam;
  EXPECT_EQ(cam["name"], "Place de la Gare");
  auto missing = get(*c, "/api/v1/cameras/none", op);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
}

TEST(ApiGovernance, Authorizations) {
  ApiHarness h;
  auto c = h.client();
  const std::string sup = h.login("sup");
  json a = {{"reference", "ARR-2026-100"},
            {"cameras", {"cam-b"}},
            {"event_types", {"density"}},
            {"start", "2026-01-01T00:00:00+01:00"},
            {"end", "2026-02-01T00:00:00+01:00"},
            {"controller", "Mairie"}};
  auto created = post(*c, "/api/v1/authorizations", sup, a);
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  auto bad = a;
  bad["event_types"] = {"face_recognition"};
  auto refused = post(*c, "/api/v1/authorizations", sup, bad);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 400);
  auto list = body_json(get(*c, "/api/v1/authorizations", h.login("aud")));
  EXPECT_EQ(list["authorizations"].size(), 2U);
  auto revoked = c->Delete("/api/v1/authorizations/ARR-2026-100", bearer(sup));
  ASSERT_TRUE(revoked);
  EXPECT_EQ(revoked->status, 200);
  auto again = c->Delete("/api/v1/authorizations/NOPE", bearer(sup));
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 404);
}

TEST(ApiJournal, ReadFilterAndVerify) {
  ApiHarness h;
  h.raise("cam-a", EventType::kFire);
  auto c = h.client();
  const std::string aud = h.login("aud");
  auto logins = body_json(get(*c, "/api/v1/journal?action=login.", aud));
  ASSERT_EQ(logins["records"].size(), 1U);
  EXPECT_EQ(logins["records"][0]["actor"], "aud");
  auto page = body_json(get(*c, "/api/v1/journal?limit=2", aud));
  ASSERT_EQ(page["records"].size(), 2U);
  const auto after = page["next_after"].get<std::int64_t>();
  auto rest = body_json(get(*c, "/api/v1/journal?after=" + std::to_string(after), aud));
  ASSERT_FALSE(rest["records"].empty());
  EXPECT_EQ(rest["records"][0]["seq"].get<std::int64_t>(), after + 1);
  auto verify = body_json(get(*c, "/api/v1/journal/verify", aud));
  EXPECT_TRUE(verify["ok"].get<bool>()) << verify;
  EXPECT_GE(verify["records"].get<int>(), 6);
  EXPECT_TRUE(verify["break"].is_null());
  EXPECT_EQ(verify["head"].get<std::string>().size(), 64U);
}

TEST(ApiStats, CountsAndOperatorPrecision) {
  ApiHarness h;
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string reason = h.alerts->reason_codes().front();
  for (int i = 0; i < 4; ++i) {
    const auto id = h.raise("cam-a", EventType::kIntrusion).id;
    const json verdict = i < 3 ? json{{"confirmed", true}}
                               : json{{"confirmed", false}, {"reason", reason}};
    auto r = post(*c, "/api/v1/alerts/" + std::to_string(id) + "/verdict", op, verdict);
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
  }
  h.raise("cam-a", EventType::kFire);
  h.raise("cam-b", EventType::kDensity, true);
  auto s = body_json(get(*c, "/api/v1/stats", h.login("sup")));
  ASSERT_TRUE(s.contains("by_type")) << s;
  EXPECT_EQ(s["total"]["alerts"], 5);
  EXPECT_EQ(s["by_type"]["intrusion"]["alerts"], 4);
  EXPECT_DOUBLE_EQ(s["by_type"]["intrusion"]["precision"].get<double>(), 0.75);
  EXPECT_DOUBLE_EQ(s["by_type"]["intrusion"]["cameras"]["cam-a"]["precision"].get<double>(), 0.75);
  EXPECT_TRUE(s["by_type"]["fire"]["precision"].is_null());
  EXPECT_EQ(s["by_camera"]["cam-a"]["alerts"], 5);
  EXPECT_FALSE(s["total"]["median_verdict_s"].is_null());
  EXPECT_EQ(s["calibration"]["alerts"], 1);
  EXPECT_EQ(s["calibration"]["by_type"]["density"], 1);
  ASSERT_FALSE(s["by_hour"].empty());
  auto op_refused = get(*c, "/api/v1/stats", op);
  ASSERT_TRUE(op_refused);
  EXPECT_EQ(op_refused->status, 403);
}

TEST(ApiUsers, AdminsManageUsersAndChangesEndSessions) {
  ApiHarness h;
  auto c = h.client();
  const std::string adm = h.login("adm");
  auto created = post(*c, "/api/v1/users", adm,
                      {{"name", "marie"}, {"role", "operator"}, {"password", "long-enough-1"}});
  ASSERT_TRUE(created);
  ASSERT_EQ(created->status, 201) << created->body;
  EXPECT_FALSE(json::parse(created->body).contains("password_hash"));
  auto dup = post(*c, "/api/v1/users", adm,
                  {{"name", "marie"}, {"role", "operator"}, {"password", "long-enough-1"}});
  ASSERT_TRUE(dup);
  EXPECT_EQ(dup->status, 409);
  auto short_pw = post(*c, "/api/v1/users", adm,
                       {{"name", "paul"}, {"role", "operator"}, {"password", "short"}});
  ASSERT_TRUE(short_pw);
  EXPECT_EQ(short_pw->status, 400);
  auto login = c->Post("/api/v1/login", json{{"user", "marie"}, {"password", "long-enough-1"}}.dump(),
                       "application/json");
  ASSERT_TRUE(login);
  ASSERT_EQ(login->status, 200);
  const std::string marie = json::parse(login->body)["token"];
  auto disabled = c->Patch("/api/v1/users/marie", bearer(adm), json{{"disabled", true}}.dump(),
                           "application/json");
  ASSERT_TRUE(disabled);
  ASSERT_EQ(disabled->status, 200) << disabled->body;
  auto me = get(*c, "/api/v1/me", marie);
  ASSERT_TRUE(me);
  EXPECT_EQ(me->status, 401) << "a disabled user's sessions end";
  auto relogin = c->Post("/api/v1/login",
                         json{{"user", "marie"}, {"password", "long-enough-1"}}.dump(),
                         "application/json");
  ASSERT_TRUE(relogin);
  EXPECT_EQ(relogin->status, 401);
  auto self = c->Patch("/api/v1/users/adm", bearer(adm), json{{"disabled", true}}.dump(),
                       "application/json");
  ASSERT_TRUE(self);
  EXPECT_EQ(self->status, 409);
  auto list = body_json(get(*c, "/api/v1/users", adm));
  EXPECT_EQ(list["users"].size(), 5U);
  EXPECT_EQ(journal_records(*h.store, "user.created").size(), 5U);
  EXPECT_EQ(journal_records(*h.store, "user.updated").size(), 1U);
}

TEST(ApiLimits, BodySizeAndUnknownRoutes) {
  ApiHarness h;
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string big(2 << 20, 'x');
  auto r = c->Post("/api/v1/alerts/1/comments", bearer(op), big, "application/json");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  auto none = get(*c, "/api/v1/nothing", op);
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 404);
  EXPECT_EQ(json::parse(none->body)["error"]["code"], "not_found");
  auto health = c->Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto console = c->Get("/");
  ASSERT_TRUE(console);
  EXPECT_EQ(console->status, 200);
  EXPECT_NE(console->body.find("/transparency"), std::string::npos);
}

#ifdef VIGIE_TEST_SQLITE_STORE
// A full disk still reads: /healthz must say when the store can no longer commit.
TEST(ApiHealth, SaysWhenTheStoreCannotCommit) {
  ApiHarness h;
  auto c = h.client();
  auto exec = [&](const std::string& sql) {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open((h.dir / "vigie.db").c_str(), &raw), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK)
        << sqlite3_errmsg(raw);
    sqlite3_close(raw);
  };
  // Every journal record now fails in the database itself, as on a full disk.
  exec("CREATE TABLE gone (x INTEGER); CREATE TRIGGER refuse BEFORE INSERT ON journal BEGIN "
       "INSERT INTO gone VALUES (1); END; DROP TABLE gone;");
  auto journal_something = [&] {
    return h.store->write([](storage::Tx& tx) -> Status {
      auto j = tx.journal({1, "system", "test.write", json::object()});
      return j.is_ok() ? Status::ok() : j.status();
    });
  };
  EXPECT_FALSE(journal_something().is_ok());
  auto failing = c->Get("/healthz");
  ASSERT_TRUE(failing);
  EXPECT_EQ(failing->status, 503);
  EXPECT_NE(failing->body.find("commits fail"), std::string::npos) << failing->body;
  exec("DROP TRIGGER refuse");
  EXPECT_TRUE(journal_something().is_ok());
  auto ok = c->Get("/healthz");
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}
#endif

// A page of another site can make the browser post with the session cookie: such writes are
// refused, whatever their route; the console's own (same origin, JSON) and bearer clients pass.
TEST(ApiBrowser, CookieWritesFromAnotherSiteAreRefused) {
  ApiHarness h;
  auto c = h.client();
  const std::string token = h.login("op");
  const auto alert = h.raise("cam1", EventType::kFire);
  const std::string path = "/api/v1/alerts/" + std::to_string(alert.id) + "/comments";
  const std::string comment = json{{"text", "checked"}}.dump();
  const std::string cookie = "vigie_session=" + token;
  const std::string own = "http://127.0.0.1:" + std::to_string(h.port());

  auto foreign = c->Post(path, {{"Cookie", cookie}, {"Origin", "https://evil.example"}}, comment,
                         "application/json");
  ASSERT_TRUE(foreign);
  EXPECT_EQ(foreign->status, 403);
  EXPECT_NE(foreign->body.find("evil.example"), std::string::npos);
  auto form = c->Post(path, {{"Cookie", cookie}}, comment, "text/plain");
  ASSERT_TRUE(form);
  EXPECT_EQ(form->status, 403);
  EXPECT_TRUE(h.store->comments(alert.id)->empty()) << "nothing refused was written";

  auto console = c->Post(path, {{"Cookie", cookie}, {"Origin", own}}, comment, "application/json");
  ASSERT_TRUE(console);
  EXPECT_EQ(console->status, 201) << console->body;
  auto api = c->Post(path, bearer(token), comment, "text/plain");
  ASSERT_TRUE(api);
  EXPECT_NE(api->status, 403) << "a bearer token is no browser's ambient credential";
}

TEST(ApiBrowser, HeadersKeepPagesAndDataOutOfOtherHands) {
  ApiHarness h;
  auto c = h.client();
  const std::string token = h.login("op");
  auto me = c->Get("/api/v1/me", bearer(token));
  ASSERT_TRUE(me);
  EXPECT_EQ(me->get_header_value("Cache-Control"), "no-store");
  const std::string csp = me->get_header_value("Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
  // A %00 in the path would let the extension after it choose the type of the file before it.
  auto nul = c->Get("/index.html%00.js");
  ASSERT_TRUE(nul);
  EXPECT_EQ(nul->status, 400);
  EXPECT_NE(nul->get_header_value("Content-Type"), "text/javascript");
}

// ---- event stream ---------------------------------------------------------------------------

struct SseEvent {
  std::int64_t id = 0;
  std::string event;
  json data;
};

/// Reads an event stream on its own thread until stopped.
class SseReader {
 public:
  SseReader(int port, std::string token, std::string last_event_id = "") {
    thread_ = std::thread([this, port, token = std::move(token), last = std::move(last_event_id)] {
      httplib::Client c("127.0.0.1", port);
      c.set_read_timeout(10, 0);
      httplib::Headers headers = bearer(token);
      if (!last.empty()) headers.emplace("Last-Event-ID", last);
      (void)c.Get(
          "/api/v1/events", headers,
          [this](const httplib::Response& r) {
            status_ = r.status;
            return r.status == 200;
          },
          [this](const char* data, std::size_t n) {
            std::lock_guard lock(mutex_);
            connected_ = true;
            buffer_.append(data, n);
            parse_locked();
            cv_.notify_all();
            return !stop_.load();
          });
      done_ = true;
      cv_.notify_all();
    });
  }
  ~SseReader() { close(); }

  /// Disconnects (at the next heartbeat at the latest).
  void close() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

  /// Waits until `n` events arrived or the deadline passed; returns what arrived.
  std::vector<SseEvent> wait_for(std::size_t n, double seconds) {
    std::unique_lock lock(mutex_);
    cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                 [&] { return events_.size() >= n || done_; });
    return events_;
  }
  [[nodiscard]] int status() const { return status_; }
  /// Waits for the stream's first bytes: from then on every committed event reaches it.
  bool wait_connected(double seconds) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, std::chrono::duration<double>(seconds),
                        [&] { return connected_ || done_; }) &&
           connected_;
  }

 private:
  void parse_locked() {
    for (;;) {
      const auto end = buffer_.find("\n\n");
      if (end == std::string::npos) return;
      const std::string block = buffer_.substr(0, end);
      buffer_.erase(0, end + 2);
      SseEvent e;
      bool has_data = false;
      std::istringstream lines(block);
      std::string line;
      while (std::getline(lines, line)) {
        if (line.rfind("id: ", 0) == 0) e.id = std::stoll(line.substr(4));
        if (line.rfind("event: ", 0) == 0) e.event = line.substr(7);
        if (line.rfind("data: ", 0) == 0) {
          e.data = json::parse(line.substr(6));
          has_data = true;
        }
      }
      if (has_data) events_.push_back(e);
    }
  }

  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::string buffer_;
  std::vector<SseEvent> events_;
  bool connected_ = false;
  std::atomic<bool> stop_{false};
  std::atomic<bool> done_{false};
  std::atomic<int> status_{0};
};

TEST(ApiEvents, LiveThenResumeWithLastEventIdWithoutGapOrRepeat) {
  ApiHarness h;
  const std::string op = h.login("op");
  std::int64_t first_seq = 0;
  {
    SseReader reader(h.port(), op);
    ASSERT_TRUE(reader.wait_connected(30.0));
    const auto a1 = h.raise("cam-a", EventType::kIntrusion);
    auto got = reader.wait_for(1, 30.0);
    ASSERT_EQ(got.size(), 1U) << "status " << reader.status();
    EXPECT_EQ(got[0].event, "alert.raised");
    EXPECT_EQ(got[0].data["id"], a1.id);
    EXPECT_GT(got[0].id, 0);
    first_seq = got[0].id;
    // A calibration alert is not sent to an operator.
    h.raise("cam-b", EventType::kDensity, true);
    reader.close();
  }
  const auto a2 = h.raise("cam-a", EventType::kFire);
  const auto a3 = h.raise("cam-a", EventType::kIntrusion);

  SseReader resumed(h.port(), op, std::to_string(first_seq));
  auto got = resumed.wait_for(2, 30.0);
  ASSERT_EQ(got.size(), 2U);
  EXPECT_EQ(got[0].data["id"], a2.id);
  EXPECT_EQ(got[1].data["id"], a3.id);
  EXPECT_GT(got[0].id, first_seq);
  EXPECT_GT(got[1].id, got[0].id);
  const auto a4 = h.raise("cam-a", EventType::kFire);
  got = resumed.wait_for(3, 30.0);
  ASSERT_EQ(got.size(), 3U);
  EXPECT_EQ(got[2].data["id"], a4.id);
  EXPECT_GT(got[2].id, got[1].id);
  // Nothing else arrives (no duplicate of the replayed ones).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(resumed.wait_for(4, 0.0).size(), 3U);
  resumed.close();
}

TEST(ApiEvents, SupervisorsSeeCalibrationAlerts) {
  ApiHarness h;
  SseReader reader(h.port(), h.login("sup"));
  ASSERT_TRUE(reader.wait_connected(30.0));
  const auto a = h.raise("cam-b", EventType::kDensity, true);
  auto got = reader.wait_for(1, 30.0);
  ASSERT_EQ(got.size(), 1U);
  EXPECT_EQ(got[0].data["id"], a.id);
  EXPECT_TRUE(got[0].data["calibration"].get<bool>());
}

TEST(ApiEvents, ASlowClientIsDroppedAndNeverBlocksTheService) {
  HarnessOptions options;
  options.sse_queue_events = 4;
  ApiHarness h(options);
  const std::string op = h.login("op");
  // A client that connects and never reads: its queue overflows; raising must not block.
  httplib::Client idle("127.0.0.1", h.port());
  std::atomic<bool> release{false};
  std::thread t([&] {
    (void)idle.Get("/api/v1/events", bearer(op), [&](const httplib::Response&) { return true; },
                   [&](const char*, std::size_t) {
                     while (!release) std::this_thread::sleep_for(std::chrono::milliseconds(5));
                     return false;
                   });
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) h.raise("cam-a", EventType::kIntrusion);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  release = true;
  t.join();
}

// ---- public pages -----------------------------------------------------------------------------

TEST(ApiPublic, MetricsAreStrictPrometheusText) {
  ApiHarness h;
  h.raise("cam-a", EventType::kFire);
  auto c = h.client();
  auto r = c->Get("/metrics");
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200);
  const test::PromExposition e = test::parse_prometheus(r->body);
  EXPECT_TRUE(e.errors.empty()) << ::testing::PrintToString(e.errors) << "\n" << r->body;
  for (const char* n : {"vigie_alert_events_total", "vigie_journal_head_seq", "vigie_logins_total",
                        "vigie_sse_clients", "vigie_alert_latency_seconds",
                        "vigie_camera_frames_total"}) {
    EXPECT_NE(e.family(n), nullptr) << n;
  }
  EXPECT_EQ(e.value("vigie_alert_latency_seconds_count", {{"stage", "stored"}}), 1);
  EXPECT_EQ(e.value("vigie_alert_events_total", {{"action", "alert.raised"}, {"type", "fire"}}),
            1);
  // The label value comes back as it was, through the escapes.
  EXPECT_EQ(e.value("vigie_camera_frames_total", {{"camera", "odd \"cam\" \\ \n"}}), 1);
}

TEST(ApiPublic, MetricsTokenIsRequiredWhenConfigured) {
  HarnessOptions options;
  options.metrics_token = "scrape-0123456789abcdef";
  ApiHarness h(options);
  auto c = h.client();
  auto none = c->Get("/metrics");
  ASSERT_TRUE(none);
  EXPECT_EQ(none->status, 401);
  EXPECT_NE(none->body.find("api.metrics_token"), std::string::npos) << none->body;
  auto wrong = c->Get("/metrics", {{"Authorization", "Bearer scrape-0123456789abcdeX"}});
  ASSERT_TRUE(wrong);
  EXPECT_EQ(wrong->status, 401);
  auto right = c->Get("/metrics", {{"Authorization", "Bearer scrape-0123456789abcdef"}});
  ASSERT_TRUE(right);
  EXPECT_EQ(right->status, 200);
  EXPECT_TRUE(test::parse_prometheus(right->body).errors.empty());
}

TEST(ApiPublic, TransparencyShowsNamesAndHidesIdsAndUrls) {
  ApiHarness h;
  auto c = h.client();
  auto page = c->Get("/transparency");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->status, 200);
  EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
  const std::string& html = page->body;
  EXPECT_NE(html.find("Place de la Gare"), std::string::npos);
  EXPECT_NE(html.find("ARR-2026-042"), std::string::npos);
  EXPECT_NE(html.find("Préfecture de police"), std::string::npos);
  EXPECT_NE(html.find("départ de feu"), std::string::npos) << "French text";
  EXPECT_NE(html.find("Cameras"), std::string::npos) << "English text";
  EXPECT_EQ(html.find("cam-a"), std::string::npos);
  EXPECT_EQ(html.find("cam-b"), std::string::npos);
  EXPECT_EQ(html.find("rtsp://"), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos);
  auto data = body_json(c->Get("/transparency.json"));
  ASSERT_EQ(data["authorizations"].size(), 1U);
  EXPECT_EQ(data["authorizations"][0]["cameras"], json::array({"Place de la Gare"}));
  EXPECT_EQ(data.dump().find("cam-"), std::string::npos);
  bool analysed = false;
  for (const auto& cam : data["cameras"]) {
    if (cam["name"] == "Place de la Gare") analysed = cam["analysed"];
  }
  EXPECT_TRUE(analysed);
  // The journal's head is public, for anyone to note and check later against the journal.
  auto head = h.store->journal_head();
  ASSERT_TRUE(head.is_ok() && head->has_value());
  EXPECT_EQ(data["journal_head"]["seq"], (*head)->seq);
  EXPECT_EQ(data["journal_head"]["hash"], (*head)->hash);
  EXPECT_NE(c->Get("/transparency")->body.find((*head)->hash), std::string::npos);
}

// ---- TLS ----------------------------------------------------------------------------------------

TEST(ApiTls, ServesHttpsWithASelfSignedCertificate) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("vigie-tls-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const std::string cert = (dir / "cert.pem").string();
  const std::string key = (dir / "key.pem").string();
  const std::string cmd = "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
                          "-keyout " + key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "the openssl command is not available";
  {
    HarnessOptions options;
    options.tls_cert = cert;
    options.tls_key = key;
    ApiHarness h(options);
    httplib::SSLClient c("127.0.0.1", h.port());
    c.enable_server_certificate_verification(false);
    auto health = c.Get("/healthz");
    ASSERT_TRUE(health) << httplib::to_string(health.error());
    EXPECT_EQ(health->status, 200);
    auto login = c.Post("/api/v1/login", json{{"user", "op"}, {"password", kPassword}}.dump(),
                        "application/json");
    ASSERT_TRUE(login);
    ASSERT_EQ(login->status, 200);
    EXPECT_NE(login->get_header_value("Set-Cookie").find("Secure"), std::string::npos);
    httplib::Client plain("127.0.0.1", h.port());
    plain.set_read_timeout(2, 0);
    auto refused = plain.Get("/healthz");
    EXPECT_TRUE(!refused || refused->status != 200) << "plain HTTP is not served";
  }
  HarnessOptions missing;
  missing.tls_cert = (dir / "missing.pem").string();
  missing.tls_key = key;
  EXPECT_THROW(ApiHarness{missing}, std::runtime_error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace vigie::testing
