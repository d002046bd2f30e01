// What the console needs of the API for a long shift: its settings, muting that is journaled
// and refused for critical types, measures journaled with a confirmation, a verdict its
// author may take back for a few seconds, and cameras that say when they are degraded.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <ctime>

#include "api/api_harness.hpp"
#include "api/transparency.hpp"

namespace vigie::testing {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;

httplib::Result post(httplib::Client& c, const std::string& path, const std::string& token,
                     const json& body = json::object()) {
  return c.Post(path, bearer(token), body.dump(), "application/json");
}

json journal_details(storage::Store& store, const std::string& action) {
  storage::JournalQuery q;
  q.action_prefix = action;
  json out = json::array();
  if (auto r = store.journal(q)) {
    for (const auto& rec : *r) {
      if (rec.action == action) out.push_back({{"actor", rec.actor}, {"detail", rec.detail}});
    }
  }
  return out;
}

alerts::AlertServiceOptions with_measures() {
  alerts::AlertServiceOptions o;
  o.measures[EventType::kFire] = {"fire_brigade_called", "area_evacuated"};
  o.measures[EventType::kIntrusion] = {"patrol_sent"};
  return o;
}

TEST(ApiConsole, SettingsComeFromTheConfiguration) {
  HarnessOptions options;
  options.alert_options = with_measures();
  ApiHarness h(options);
  auto c = h.client();
  auto r = c->Get("/api/v1/console", bearer(h.login("op")));
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  const json s = json::parse(r->body);
  EXPECT_EQ(s["escalate_after_s"], 60);
  EXPECT_EQ(s["mute_minutes"], 15);
  EXPECT_EQ(s["verdict_undo_s"], 10);
  EXPECT_EQ(s["critical_types"], json({"weapon", "person_on_ground", "fire"}));
  EXPECT_EQ(s["measures"]["fire"], json({"fire_brigade_called", "area_evacuated"}));
  EXPECT_FALSE(s["reasons"].empty());
}

TEST(ApiConsole, MutingIsJournaledAndRefusedForCriticalTypes) {
  ApiHarness h;
  auto c = h.client();
  const std::string op = h.login("op");
  auto muted = post(*c, "/api/v1/console/mute", op, {{"type", "intrusion"}, {"muted", true}});
  ASSERT_TRUE(muted);
  ASSERT_EQ(muted->status, 200) << muted->body;
  EXPECT_GT(json::parse(muted->body)["until_ms"].get<std::int64_t>(), 0);
  auto unmuted = post(*c, "/api/v1/console/mute", op, {{"type", "intrusion"}, {"muted", false}});
  ASSERT_TRUE(unmuted);
  EXPECT_EQ(unmuted->status, 200);
  const json m = journal_details(*h.store, "console.muted");
  ASSERT_EQ(m.size(), 1U);
  EXPECT_EQ(m[0]["actor"], "op");
  EXPECT_EQ(m[0]["detail"]["type"], "intrusion");
  EXPECT_EQ(m[0]["detail"]["minutes"], 15);
  EXPECT_EQ(journal_details(*h.store, "console.unmuted").size(), 1U);

  for (const char* critical : {"weapon", "fire", "person_on_ground"}) {
    auto r = post(*c, "/api/v1/console/mute", op, {{"type", critical}, {"muted", true}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 409) << critical;
  }
  for (const json& bad : {json{{"type", "ufo"}, {"muted", true}}, json{{"type", "intrusion"}},
                          json{{"muted", true}}, json{{"type", "intrusion"}, {"muted", "yes"}}}) {
    auto r = post(*c, "/api/v1/console/mute", op, bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad;
    EXPECT_EQ(json::parse(r->body)["error"]["code"], "invalid_argument");
  }
  EXPECT_EQ(journal_details(*h.store, "console.muted").size(), 1U) << "refusals leave no record";
}

TEST(ApiConsole, MeasuresAreCheckedAgainstTheTypeAndJournaledWithTheVerdict) {
  HarnessOptions options;
  options.alert_options = with_measures();
  ApiHarness h(options);
  auto c = h.client();
  const std::string op = h.login("op");
  const auto fire = h.raise("cam-a", EventType::kFire).id;
  const std::string base = "/api/v1/alerts/" + std::to_string(fire);

  for (const json& bad : {json{{"confirmed", true}, {"measures", {"patrol_sent"}}},
                          json{{"confirmed", true}, {"measures", "fire_brigade_called"}},
                          json{{"confirmed", true}, {"measures", {1}}},
                          json{{"confirmed", false}, {"reason", "other"},
                               {"measures", {"fire_brigade_called"}}}}) {
    auto r = post(*c, base + "/verdict", op, bad);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << bad << " " << r->body;
  }
  auto ok = post(*c, base + "/verdict", op,
                 {{"confirmed", true},
                  {"measures", {"fire_brigade_called", "area_evacuated"}},
                  {"comment", "pump 12 on its way"}});
  ASSERT_TRUE(ok);
  ASSERT_EQ(ok->status, 200) << ok->body;
  const json v = journal_details(*h.store, "alert.verdict");
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0]["detail"]["measures"], json({"fire_brigade_called", "area_evacuated"}));
  EXPECT_EQ(v[0]["detail"]["comment"], "pump 12 on its way");

  // The alert itself says what was done, for whoever opens it later.
  auto shown = c->Get(base, bearer(op));
  ASSERT_TRUE(shown);
  ASSERT_EQ(shown->status, 200) << shown->body;
  EXPECT_EQ(json::parse(shown->body)["verdict_measures"],
            json({"fire_brigade_called", "area_evacuated"}));
  // Undone, the verdict's measures go with it.
  auto undone = post(*c, base + "/undo", op);
  ASSERT_TRUE(undone);
  ASSERT_EQ(undone->status, 200) << undone->body;
  shown = c->Get(base, bearer(op));
  ASSERT_TRUE(shown);
  EXPECT_EQ(json::parse(shown->body)["verdict_measures"], json::array());
  EXPECT_EQ(journal_details(*h.store, "alert.verdict_undone")[0]["detail"]["undid"]["measures"],
            json({"fire_brigade_called", "area_evacuated"}));
}

TEST(ApiConsole, OnlyTheVerdictsAuthorUndoesItWithinTheWindow) {
  ManualClock clock;
  HarnessOptions options;
  options.clock = &clock;
  ApiHarness h(options);
  auto c = h.client();
  const std::string op = h.login("op");
  const std::string sup = h.login("sup");
  const auto id = h.raise("cam-a", EventType::kIntrusion).id;
  const std::string base = "/api/v1/alerts/" + std::to_string(id);

  auto not_judged = post(*c, base + "/undo", op);
  ASSERT_TRUE(not_judged);
  EXPECT_EQ(not_judged->status, 409);

  ASSERT_EQ(post(*c, base + "/verdict", op, {{"confirmed", false}, {"reason", "object"}})->status,
            200);
  clock.advance(5s);
  auto other = post(*c, base + "/undo", sup);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->status, 403) << other->body;
  EXPECT_EQ(json::parse(other->body)["error"]["code"], "permission_denied");

  auto undone = post(*c, base + "/undo", op);
  ASSERT_TRUE(undone);
  ASSERT_EQ(undone->status, 200) << undone->body;
  const json a = json::parse(undone->body);
  EXPECT_EQ(a["state"], "seen");
  EXPECT_EQ(a["verdict_by"], "");
  EXPECT_EQ(a["reason"], "");
  const json u = journal_details(*h.store, "alert.verdict_undone");
  ASSERT_EQ(u.size(), 1U);
  EXPECT_EQ(u[0]["actor"], "op");
  EXPECT_EQ(u[0]["detail"]["alert"], id);
  EXPECT_EQ(u[0]["detail"]["undid"]["verdict"], "dismissed");
  EXPECT_EQ(u[0]["detail"]["undid"]["reason"], "object");

  // Judged again, then the window passes.
  ASSERT_EQ(post(*c, base + "/verdict", op, {{"confirmed", true}})->status, 200);
  clock.advance(11s);
  auto late = post(*c, base + "/undo", op);
  ASSERT_TRUE(late);
  EXPECT_EQ(late->status, 409) << late->body;
  EXPECT_EQ(journal_details(*h.store, "alert.verdict_undone").size(), 1U);

  auto missing = post(*c, "/api/v1/alerts/99999/undo", op);
  ASSERT_TRUE(missing);
  EXPECT_EQ(missing->status, 404);
  auto bad_id = post(*c, "/api/v1/alerts/abc/undo", op);
  ASSERT_TRUE(bad_id);
  EXPECT_EQ(bad_id->status / 100, 4);
}

TEST(ApiConsole, ACameraAnalysedBelowItsRateIsDegraded) {
  for (const double target : {5.0, 10.0}) {
    HarnessOptions options;
    options.cam_a_target_fps = target;  // cam-a is analysed at 5 fps
    ApiHarness h(options);
    auto c = h.client();
    auto r = c->Get("/api/v1/cameras/cam-a", bearer(h.login("op")));
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200);
    const json cam = json::parse(r->body);
    EXPECT_EQ(cam["target_fps"], target);
    EXPECT_EQ(cam["degraded"], target > 5.0) << cam;
    if (target > 5.0) {
      EXPECT_EQ(cam["degraded_why"], "analysed at 5.0 fps of 10.0");
    }
  }
}

TEST(ApiConsole, TheTransparencyPageShowsLocalTimesNotUtc) {
  const char* before = std::getenv("TZ");
  const std::string saved = before != nullptr ? before : "";
  setenv("TZ", "Europe/Paris", 1);
  tzset();
  // 2020-01-01T00:00:00Z, the harness's authorization start; Paris is UTC+1 in winter.
  EXPECT_EQ(api::local_time_text(1577836800000), "01/01/2020 01:00 (UTC+01:00)");
  EXPECT_EQ(api::local_time_text(1593561600000), "01/07/2020 02:00 (UTC+02:00)");
  ApiHarness h;
  auto page = h.client()->Get("/transparency");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("01/01/2020 01:00 (UTC+01:00)"), std::string::npos);
  EXPECT_EQ(page->body.find("2020-01-01T00:00:00"), std::string::npos) << "no raw UTC";
  if (before != nullptr) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
}

}  // namespace
}  // namespace vigie::testing
