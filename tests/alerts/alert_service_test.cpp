#include "alerts/alert_service.hpp"

#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"
#include "support/process.hpp"

namespace vigie::alerts {
namespace {

using storage::AlertState;

class AlertServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::open_sqlite_store(dir_ / "vigie.db");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(*s);
    service_ = std::make_unique<AlertService>(*store_, clock_);
    service_->subscribe([this](const AlertEvent& e) { events_.push_back(e); });
  }

  static Alert make_alert(const std::string& id = "cam1-intrusion-1") {
    Alert a;
    a.id = id;
    a.type = EventType::kIntrusion;
    a.camera = "cam1";
    a.zone = "track";
    a.start_s = 12.5;
    a.last_s = 12.5;
    a.score = 0.7;
    a.region = {10, 20, 30, 60};
    a.params = {{"dwell_s", 1.0}, {"inertia_s", 0.5}};
    a.config_version = "abc123";
    return a;
  }

  std::vector<storage::JournalRecord> journal() {
    auto j = store_->journal({});
    EXPECT_TRUE(j.is_ok());
    return j.is_ok() ? *j : std::vector<storage::JournalRecord>{};
  }

  test::TempDir dir_{"vigie-alerts"};
  ManualClock clock_;
  std::unique_ptr<storage::Store> store_;
  std::unique_ptr<AlertService> service_;
  std::vector<AlertEvent> events_;
};

TEST_F(AlertServiceTest, RaisedAlertIsStoredJournaledAndPushed) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, false);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_GT(r->id, 0);
  EXPECT_EQ(r->state, AlertState::kNew);

  auto stored = store_->alert(r->id);
  ASSERT_TRUE(stored.is_ok() && stored->has_value());
  EXPECT_EQ((*stored)->camera, "cam1");
  EXPECT_EQ((*stored)->params["dwell_s"], 1.0);
  EXPECT_EQ((*stored)->config_version, "abc123");

  auto j = journal();
  ASSERT_EQ(j.size(), 1U);
  EXPECT_EQ(j[0].action, "alert.raised");
  EXPECT_EQ(j[0].detail["type"], "intrusion");
  EXPECT_EQ(j[0].detail["config_version"], "abc123");
  ASSERT_EQ(events_.size(), 1U);
  EXPECT_EQ(events_[0].seq, j[0].seq);
  EXPECT_EQ(events_[0].alert.id, r->id);
}

TEST_F(AlertServiceTest, UpdatesAreThrottledButTheEndIsAlwaysStored) {
  auto raised = service_->report(make_alert(), AlertChange::kRaised, false);
  ASSERT_TRUE(raised.is_ok());
  Alert a = make_alert();
  for (int i = 0; i < 10; ++i) {  // two seconds of frames at 5 fps
    clock_.advance(Seconds(0.2));
    a.score = 0.7 + 0.01 * i;
    ASSERT_TRUE(service_->report(a, AlertChange::kUpdated, false).is_ok());
  }
  EXPECT_EQ(journal().size(), 1U) << "updates within update_interval_s are not stored";
  clock_.advance(Seconds(4));
  a.score = 0.95;
  ASSERT_TRUE(service_->report(a, AlertChange::kUpdated, false).is_ok());
  clock_.advance(Seconds(0.2));
  ASSERT_TRUE(service_->report(a, AlertChange::kEnded, false).is_ok());
  auto j = journal();
  ASSERT_EQ(j.size(), 3U);
  EXPECT_EQ(j[1].action, "alert.updated");
  EXPECT_EQ(j[2].action, "alert.ended");
  auto stored = store_->alert(raised->id);
  EXPECT_DOUBLE_EQ((*stored)->score, 0.95);
  EXPECT_GT((*stored)->ended_ms, 0);
  EXPECT_FALSE(storage::verify_chain(j).has_value());
}

TEST_F(AlertServiceTest, LifecycleTransitionsAreJournaledWithTheUser) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, false);
  ASSERT_TRUE(r.is_ok());
  ASSERT_TRUE(service_->mark_seen(r->id, "olivia").is_ok());
  ASSERT_TRUE(service_->assign(r->id, "olivia", "marc").is_ok());
  ASSERT_TRUE(service_->comment(r->id, "marc", "checking camera 2").is_ok());
  auto judged = service_->judge(r->id, "marc", {false, "reflection_or_light", "sun on glass", {}});
  ASSERT_TRUE(judged.is_ok()) << judged.status().to_string();
  EXPECT_EQ(judged->state, AlertState::kDismissed);
  EXPECT_EQ(judged->reason, "reflection_or_light");
  EXPECT_EQ(judged->verdict_by, "marc");
  ASSERT_TRUE(service_->close(r->id, "marc").is_ok());

  auto j = journal();
  std::vector<std::string> actions;
  for (const auto& rec : j) actions.push_back(rec.action + ":" + rec.actor);
  EXPECT_EQ(actions, (std::vector<std::string>{"alert.raised:system", "alert.seen:olivia",
                                               "alert.assigned:olivia", "alert.commented:marc",
                                               "alert.verdict:marc", "alert.closed:marc"}));
  auto comments = store_->comments(r->id);
  ASSERT_TRUE(comments.is_ok());
  ASSERT_EQ(comments->size(), 1U);
  EXPECT_EQ((*comments)[0].text, "checking camera 2");
  EXPECT_EQ(events_.size(), 6U);
}

TEST_F(AlertServiceTest, RefusesWhatTheWorkflowDoesNotAllow) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, false);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(service_->close(r->id, "olivia").status().code(), StatusCode::kFailedPrecondition)
      << "closing needs a verdict first";
  EXPECT_EQ(service_->judge(r->id, "olivia", {false, "weather", "", {}}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->judge(999, "olivia", {true, "", "", {}}).status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(service_->comment(r->id, "olivia", "  ").status().code(),
            StatusCode::kInvalidArgument);
  ASSERT_TRUE(service_->judge(r->id, "olivia", {true, "", "", {}}).is_ok());
  EXPECT_EQ(service_->judge(r->id, "marc", {false, "other", "", {}}).status().code(),
            StatusCode::kFailedPrecondition)
      << "a second verdict must not overwrite the first";
  EXPECT_EQ(service_->mark_seen(r->id, "marc").status().code(),
            StatusCode::kFailedPrecondition);
  // Only the accepted changes reached the journal.
  EXPECT_EQ(journal().size(), 2U);
}

TEST_F(AlertServiceTest, PipelineUpdatesKeepTheOperatorsVerdict) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, false);
  ASSERT_TRUE(service_->judge(r->id, "olivia", {true, "", "real", {}}).is_ok());
  clock_.advance(Seconds(10));
  Alert a = make_alert();
  a.score = 0.9;
  ASSERT_TRUE(service_->report(a, AlertChange::kUpdated, false).is_ok());
  ASSERT_TRUE(service_->report(a, AlertChange::kEnded, false).is_ok());
  auto stored = store_->alert(r->id);
  EXPECT_EQ((*stored)->state, AlertState::kConfirmed);
  EXPECT_EQ((*stored)->verdict_by, "olivia");
  EXPECT_DOUBLE_EQ((*stored)->score, 0.9);
}

TEST_F(AlertServiceTest, CalibrationAlertsAreRecordedAndMarked) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, true);
  ASSERT_TRUE(r.is_ok());
  EXPECT_TRUE(r->calibration);
  storage::AlertQuery shown;
  EXPECT_TRUE(store_->alerts(shown)->empty()) << "operators' default list hides them";
  storage::AlertQuery only;
  only.only_calibration = true;
  EXPECT_EQ(store_->alerts(only)->size(), 1U);
  EXPECT_EQ(journal().at(0).detail["calibration"], true);
}

TEST_F(AlertServiceTest, AnEndWithoutARaiseIsStillStored) {
  // After a restart the pipeline may end an alert this service never saw.
  auto r = service_->report(make_alert("cam1-intrusion-7"), AlertChange::kEnded, false);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(journal().at(0).action, "alert.raised");
  EXPECT_GT(r->ended_ms, 0);
}

TEST_F(AlertServiceTest, EvidenceIsJournaledWithItsHashAndEveryViewToo) {
  auto r = service_->report(make_alert(), AlertChange::kRaised, false);
  storage::EvidenceRecord snap;
  snap.kind = "snapshot";
  snap.path = "cam1/1/snapshot.jpg";
  snap.sha256 = std::string(64, 'a');
  snap.bytes = 1234;
  ASSERT_TRUE(service_->add_evidence(r->id, {snap}).is_ok());
  auto files = store_->evidence(r->id);
  ASSERT_EQ(files->size(), 1U);
  const auto eid = (*files)[0].id;

  EXPECT_EQ(service_->view_evidence(r->id, eid, "sup", true, "").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(service_->view_evidence(r->id, eid + 1, "olivia", false, "").status().code(),
            StatusCode::kNotFound);
  ASSERT_TRUE(service_->view_evidence(r->id, eid, "olivia", false, "").is_ok());
  ASSERT_TRUE(service_->view_evidence(r->id, eid, "sup", true, "confirm identity of fall").is_ok());

  auto j = journal();
  ASSERT_EQ(j.size(), 4U);
  EXPECT_EQ(j[1].action, "evidence.stored");
  EXPECT_EQ(j[1].detail["sha256"], std::string(64, 'a'));
  EXPECT_EQ(j[2].action, "evidence.viewed");
  EXPECT_EQ(j[3].action, "evidence.viewed_unmasked");
  EXPECT_EQ(j[3].actor, "sup");
  EXPECT_EQ(j[3].detail["reason"], "confirm identity of fall");
}

TEST_F(AlertServiceTest, EndingUnfollowedAlertsCanKeepToOneNodesCameras) {
  Alert other = make_alert("cam2-intrusion-1");
  other.camera = "cam2";
  auto mine = service_->report(make_alert(), AlertChange::kRaised, false);
  auto theirs = service_->report(other, AlertChange::kRaised, false);
  ASSERT_TRUE(mine.is_ok() && theirs.is_ok());
  // A node sharing the database with another, which follows cam2, ends only its own.
  auto ended = service_->end_unfollowed("node restarted", std::set<CameraId>{"cam1"});
  ASSERT_TRUE(ended.is_ok()) << ended.status().to_string();
  EXPECT_EQ(*ended, 1);
  EXPECT_NE((*store_->alert(mine->id))->ended_ms, 0);
  EXPECT_EQ((*store_->alert(theirs->id))->ended_ms, 0);
  // Alone on its database, a node ends every open alert.
  ended = service_->end_unfollowed("node restarted");
  ASSERT_TRUE(ended.is_ok());
  EXPECT_EQ(*ended, 1);
  EXPECT_NE((*store_->alert(theirs->id))->ended_ms, 0);
}

}  // namespace
}  // namespace vigie::alerts
