#include "govern/governance.hpp"

#include <gtest/gtest.h>

#include "core/iso_time.hpp"
#include "support/process.hpp"

namespace vigie::govern {
namespace {

class GovernanceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::open_sqlite_store(dir_ / "vigie.db");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  // An authorization from now + from_h hours to now + to_h hours.
  config::Authorization order(const std::string& ref, double from_h, double to_h,
                              std::vector<EventType> types = {EventType::kIntrusion}) const {
    config::Authorization a;
    a.reference = ref;
    a.cameras = {"cam1"};
    a.event_types = std::move(types);
    a.start = format_iso8601(clock_.wall_now() +
                             std::chrono::duration_cast<std::chrono::system_clock::duration>(
                                 Seconds(from_h * 3600)));
    a.end = format_iso8601(clock_.wall_now() +
                           std::chrono::duration_cast<std::chrono::system_clock::duration>(
                               Seconds(to_h * 3600)));
    a.controller = "Préfecture de police";
    return a;
  }

  std::unique_ptr<Governance> open(const std::vector<config::Authorization>& configured) {
    auto g = Governance::open(*store_, clock_, configured);
    EXPECT_TRUE(g.is_ok()) << g.status().to_string();
    return g.is_ok() ? std::move(*g) : nullptr;
  }

  test::TempDir dir_{"vigie-govern"};
  ManualClock clock_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(GovernanceTest, AnalysisOnlyInsideAnActiveAuthorization) {
  auto g = open({order("2026-0042", 1, 3)});
  EXPECT_FALSE(g->permit("cam1").analyse) << "not started yet";
  EXPECT_EQ(g->permit("cam1").why_not, "no active authorization");
  clock_.advance(Seconds(3600 * 1.5));
  Permit p = g->permit("cam1");
  EXPECT_TRUE(p.analyse);
  EXPECT_EQ(p.event_types, std::set<EventType>{EventType::kIntrusion});
  EXPECT_EQ(p.references, std::vector<std::string>{"2026-0042"});
  EXPECT_FALSE(g->permit("cam2").analyse) << "camera not named";
  clock_.advance(Seconds(3600 * 2));
  EXPECT_FALSE(g->permit("cam1").analyse) << "ended";
}

TEST_F(GovernanceTest, EventTypesAreTheUnionOfActiveAuthorizations) {
  auto g = open({order("A", -1, 1, {EventType::kIntrusion}),
                 order("B", -1, 1, {EventType::kFire, EventType::kDensity})});
  EXPECT_EQ(g->permit("cam1").event_types,
            (std::set<EventType>{EventType::kIntrusion, EventType::kDensity, EventType::kFire}));
}

TEST_F(GovernanceTest, ConfiguredAuthorizationsAreJournaledOnceAndBadOnesRefused) {
  open({order("A", -1, 1)});
  open({order("A", -1, 1)});  // same again: nothing new to journal
  auto j = store_->journal({});
  ASSERT_EQ(j->size(), 1U);
  EXPECT_EQ((*j)[0].action, "authorization.set");
  EXPECT_EQ((*j)[0].detail["reference"], "A");

  auto bad = order("B", 2, 1);
  EXPECT_EQ(Governance::open(*store_, clock_, {bad}).status().code(),
            StatusCode::kInvalidArgument);
  auto naive = order("C", -1, 1);
  naive.start = "2026-07-01T00:00:00";  // no offset
  EXPECT_EQ(Governance::open(*store_, clock_, {naive}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(GovernanceTest, ApiAuthorizationsAndRevocation) {
  auto g = open({});
  int changes = 0;
  g->on_change([&] { ++changes; });
  storage::AuthorizationRecord a;
  a.reference = "2026-0099";
  a.cameras = {"cam1"};
  a.event_types = {EventType::kFire};
  a.start_ms = 0;
  a.end_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                 clock_.wall_now().time_since_epoch())
                 .count() +
             3600000;
  a.controller = "CNIL";
  ASSERT_TRUE(g->authorize("sup", a).is_ok());
  EXPECT_TRUE(g->permit("cam1").analyse);
  a.end_ms = a.start_ms;
  EXPECT_EQ(g->authorize("sup", a).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(g->revoke("sup", "2026-0099").is_ok());
  EXPECT_FALSE(g->permit("cam1").analyse);
  EXPECT_EQ(g->revoke("sup", "nope").code(), StatusCode::kNotFound);
  EXPECT_EQ(changes, 2);
  auto j = store_->journal({});
  ASSERT_EQ(j->size(), 2U);
  EXPECT_EQ((*j)[1].action, "authorization.revoked");
  EXPECT_EQ((*j)[1].actor, "sup");
}

TEST_F(GovernanceTest, AConfiguredAuthorizationRevokedStaysRevokedAfterARestart) {
  auto g = open({order("2026-0042", -1, 3)});
  ASSERT_TRUE(g->permit("cam1").analyse);
  ASSERT_TRUE(g->revoke("sup", "2026-0042").is_ok());
  EXPECT_FALSE(g->permit("cam1").analyse);
  g.reset();
  // The same configuration again: the revocation holds, and nothing is journaled anew.
  const auto journaled = store_->journal({})->size();
  g = open({order("2026-0042", -1, 3)});
  EXPECT_FALSE(g->permit("cam1").analyse);
  EXPECT_EQ(store_->journal({})->size(), journaled);
  // The order's terms changed in the configuration: taken, still revoked.
  g = open({order("2026-0042", -1, 5)});
  EXPECT_FALSE(g->permit("cam1").analyse);
  EXPECT_TRUE(store_->journal({})->back().detail["revoked"].get<bool>());
  // A new order (a new reference) grants again.
  g = open({order("2026-0042", -1, 5), order("2026-0050", -1, 5)});
  EXPECT_TRUE(g->permit("cam1").analyse);
}

TEST_F(GovernanceTest, StopsWinOverAuthorizationsAndSurviveARestart) {
  auto g = open({order("A", -1, 10)});
  ASSERT_TRUE(g->permit("cam1").analyse);
  ASSERT_TRUE(g->stop("sup", "cam1", "maintenance").is_ok());
  EXPECT_FALSE(g->permit("cam1").analyse);
  EXPECT_NE(g->permit("cam1").why_not.find("stopped by sup"), std::string::npos);
  ASSERT_TRUE(g->stop("signal", "", "SIGUSR1").is_ok());
  EXPECT_TRUE(g->global_stop().stopped);

  // A restart rebuilds the stops from the journal: analysis does not silently resume.
  auto again = open({order("A", -1, 10)});
  EXPECT_TRUE(again->global_stop().stopped);
  EXPECT_EQ(again->global_stop().by, "signal");
  EXPECT_EQ(again->camera_stops().count("cam1"), 1U);
  EXPECT_NE(again->permit("cam1").why_not.find("global stop"), std::string::npos);

  ASSERT_TRUE(again->resume("sup", "").is_ok());
  EXPECT_FALSE(again->permit("cam1").analyse) << "the camera's own stop remains";
  ASSERT_TRUE(again->resume("sup", "cam1").is_ok());
  EXPECT_TRUE(again->permit("cam1").analyse);
  EXPECT_EQ(again->resume("sup", "cam1").code(), StatusCode::kFailedPrecondition);

  auto third = open({order("A", -1, 10)});
  EXPECT_TRUE(third->permit("cam1").analyse);
}

}  // namespace
}  // namespace vigie::govern
