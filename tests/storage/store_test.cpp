// Every store backend (SQLite on real files, PostgreSQL on a real server): round trips,
// queries, atomicity, the journal chain against tampering, retention, migrations, concurrency
// and a process killed mid-write. The same tests run against each (StoreTest/<backend>).

#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <set>
#include <stdexcept>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"
#include "storage/store.hpp"
#include "store_backend.hpp"
#include "support/process.hpp"

extern char** environ;

namespace vigie::storage {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

using test::BackendKind;
using test::expect_same_alert;
using test::sample_alert;

class StoreTest : public ::testing::TestWithParam<BackendKind> {
 protected:
  void SetUp() override {
    backend_ = test::make_backend(GetParam(), dir_);
    if (const std::string why = backend_->unavailable(); !why.empty()) GTEST_SKIP() << why;
    reopen();
  }

  void reopen() {
    store_.reset();
    auto s = backend_->open();
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  std::int64_t add_alert(const AlertRecord& a) {
    std::int64_t id = 0;
    const Status s = store_->write([&](Tx& tx) -> Status {
      auto r = tx.put_alert(a);
      if (!r.is_ok()) return r.status();
      id = *r;
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return id;
  }

  JournalRecord append(const std::string& action, TimeMs at_ms, json detail = json::object(),
                       const std::string& actor = "system") {
    JournalRecord out;
    const Status s = store_->write([&](Tx& tx) -> Status {
      auto r = tx.journal({at_ms, actor, action, std::move(detail)});
      if (!r.is_ok()) return r.status();
      out = *r;
      return Status::ok();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return out;
  }

  std::vector<JournalRecord> all_journal() {
    auto r = store_->journal({.limit = 1000000});
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    return r.is_ok() ? *r : std::vector<JournalRecord>{};
  }

  vigie::test::TempDir dir_{"vigie-storage"};
  std::unique_ptr<test::Backend> backend_;
  std::unique_ptr<Store> store_;
};

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreTest, ::testing::Values(BackendKind::kSqlite),
                         [](const auto&) { return "sqlite"; });
INSTANTIATE_TEST_SUITE_P(Postgres, StoreTest, ::testing::Values(BackendKind::kPostgres),
                         [](const auto&) { return "postgres"; });

/// Tests of the SQLite file itself.
class SqliteStoreTest : public ::testing::Test {
 protected:
  vigie::test::TempDir dir_{"vigie-storage"};
};

// ---- records ----------------------------------------------------------------------------

TEST_P(StoreTest, AlertRoundTripsEveryFieldAndUpdatesInPlace) {
  AlertRecord a = sample_alert();
  a.id = add_alert(a);
  EXPECT_GT(a.id, 0);
  auto got = store_->alert(a.id);
  ASSERT_TRUE(got.is_ok());
  ASSERT_TRUE(got->has_value());
  expect_same_alert(**got, a);

  a.state = AlertState::kDismissed;
  a.assignee = "alice";
  a.verdict_by = "bob";
  a.verdict_ms = 5000;
  a.reason = "shadow";
  a.verdict_comment = "c'était une ombre";
  a.verdict_measures = {"patrol_sent", "zone « nord » fermée"};
  a.ended_ms = 4000;
  a.calibration = true;
  a.model_hash = "m";
  EXPECT_EQ(add_alert(a), a.id);
  got = store_->alert(a.id);
  ASSERT_TRUE(got.is_ok() && got->has_value());
  expect_same_alert(**got, a);

  AlertRecord ghost = a;
  ghost.id = 999;
  const Status s = store_->write([&](Tx& tx) { return tx.put_alert(ghost).status(); });
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  auto none = store_->alert(999);
  ASSERT_TRUE(none.is_ok());
  EXPECT_FALSE(none->has_value());

  AlertRecord bad = sample_alert();
  bad.score = std::nan("");
  EXPECT_EQ(store_->write([&](Tx& tx) { return tx.put_alert(bad).status(); }).code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, TxReadsItsOwnChanges) {
  const Status s = store_->write([&](Tx& tx) -> Status {
    auto id = tx.put_alert(sample_alert());
    if (!id.is_ok()) return id.status();
    auto a = tx.get_alert(*id);
    if (!a.is_ok()) return a.status();
    EXPECT_TRUE(a->has_value());
    EXPECT_EQ((*a)->camera, "gare-1");
    auto none = tx.get_alert(*id + 1);
    EXPECT_TRUE(none.is_ok() && !none->has_value());
    return Status::ok();
  });
  EXPECT_TRUE(s.is_ok()) << s.to_string();
}

TEST_P(StoreTest, AlertQueriesFilterAndPage) {
  // 30 alerts: cameras a/b, types alternating, raised one second apart, every fifth in
  // calibration mode, every third confirmed.
  std::vector<AlertRecord> all;
  for (int i = 0; i < 30; ++i) {
    AlertRecord a =
        sample_alert(i % 2 == 0 ? "a" : "b", i % 3 == 0 ? EventType::kFire : EventType::kWrongWay,
                     1000 * (i + 1));
    a.calibration = i % 5 == 4;
    if (i % 3 == 0) a.state = AlertState::kConfirmed;
    a.id = add_alert(a);
    all.push_back(a);
  }
  const auto ids = [&](const AlertQuery& q) {
    auto r = store_->alerts(q);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    std::vector<std::int64_t> out;
    if (r.is_ok()) {
      for (const auto& a : *r) out.push_back(a.id);
    }
    return out;
  };
  const auto expected = [&](auto keep, int limit = 1000, std::int64_t before = INT64_MAX) {
    std::vector<std::int64_t> out;
    for (auto it = all.rbegin(); it != all.rend(); ++it) {
      if (it->id < before && keep(*it) && static_cast<int>(out.size()) < limit) {
        out.push_back(it->id);
      }
    }
    return out;
  };
  const auto not_cal = [](const AlertRecord& a) { return !a.calibration; };

  EXPECT_EQ(ids({.limit = 1000}), expected(not_cal));
  EXPECT_EQ(ids({.include_calibration = true, .limit = 1000}),
            expected([](const AlertRecord&) { return true; }));
  EXPECT_EQ(ids({.only_calibration = true, .limit = 1000}),
            expected([](const AlertRecord& a) { return a.calibration; }));
  EXPECT_EQ(ids({.type = EventType::kFire, .limit = 1000}), expected([&](const AlertRecord& a) {
              return not_cal(a) && a.type == EventType::kFire;
            }));
  EXPECT_EQ(ids({.camera = "b", .limit = 1000}),
            expected([&](const AlertRecord& a) { return not_cal(a) && a.camera == "b"; }));
  EXPECT_EQ(ids({.state = AlertState::kConfirmed, .limit = 1000}),
            expected([&](const AlertRecord& a) {
              return not_cal(a) && a.state == AlertState::kConfirmed;
            }));
  EXPECT_EQ(ids({.from_ms = 5000, .to_ms = 12000, .limit = 1000}),
            expected([&](const AlertRecord& a) {
              return not_cal(a) && a.raised_ms >= 5000 && a.raised_ms < 12000;
            }));
  EXPECT_EQ(ids({.type = EventType::kWrongWay,
                 .camera = "a",
                 .include_calibration = true,
                 .limit = 1000}),
            expected([&](const AlertRecord& a) {
              return a.type == EventType::kWrongWay && a.camera == "a";
            }));

  // Pagination: pages of 7, newest first, resuming below the last id seen.
  std::vector<std::int64_t> paged;
  std::optional<std::int64_t> before;
  for (;;) {
    const auto page = ids({.include_calibration = true, .before_id = before, .limit = 7});
    if (page.empty()) break;
    EXPECT_LE(page.size(), 7U);
    paged.insert(paged.end(), page.begin(), page.end());
    before = page.back();
  }
  EXPECT_EQ(paged, expected([](const AlertRecord&) { return true; }));
  EXPECT_EQ(ids({.before_id = all[10].id, .limit = 3}), expected(not_cal, 3, all[10].id));
  EXPECT_EQ(store_->alerts({.limit = 0}).status().code(), StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, CommentsEvidenceUsersAndAuthorizationsRoundTrip) {
  const std::int64_t a1 = add_alert(sample_alert());
  const std::int64_t a2 = add_alert(sample_alert("other"));
  std::vector<std::int64_t> evidence_ids;
  const Status s = store_->write([&](Tx& tx) -> Status {
    EXPECT_TRUE(tx.add_comment({0, a1, "alice", 100, "vu"}).is_ok());
    EXPECT_TRUE(tx.add_comment({0, a1, "bob", 200, "confirmé"}).is_ok());
    EXPECT_EQ(tx.add_comment({0, 4242, "bob", 200, "x"}).status().code(), StatusCode::kNotFound);
    for (const auto& [alert, kind, created] :
         {std::tuple{a1, "snapshot", 3000}, std::tuple{a1, "clip", 1000},
          std::tuple{a2, "raw", 2000}}) {
      auto id = tx.add_evidence({0, alert, kind, std::string(kind) != "raw",
                                 std::string("2026/") + kind + ".bin", std::string(64, 'a'), 1234,
                                 created, 1.5, 2.5, std::string("node-") + kind});
      if (!id.is_ok()) return id.status();
      evidence_ids.push_back(*id);
    }
    EXPECT_EQ(tx.add_evidence({0, 4242, "clip", true, "p", "h", 1, 1}).status().code(),
              StatusCode::kNotFound);
    EXPECT_TRUE(tx.put_user({"alice", "operator", "$argon2id$x", false, 10}).is_ok());
    EXPECT_TRUE(tx.put_user({"bob", "auditor", "$argon2id$y", false, 11}).is_ok());
    EXPECT_TRUE(tx.put_user({"alice", "supervisor", "$argon2id$z", true, 12}).is_ok());
    EXPECT_TRUE(tx.put_authorization({"AP-2026-001",
                                      {"gare-1", "gare-2"},
                                      {EventType::kFire, EventType::kIntrusion},
                                      1,
                                      2,
                                      "préfet",
                                      "config",
                                      false})
                    .is_ok());
    EXPECT_TRUE(
        tx.put_authorization({"AP-2026-000", {}, {EventType::kWeapon}, 3, 4, "c", "api", false})
            .is_ok());
    return tx.put_authorization(
        {"AP-2026-001", {"gare-1"}, {EventType::kFire}, 1, 5, "préfet", "config", true});
  });
  ASSERT_TRUE(s.is_ok()) << s.to_string();

  auto comments = store_->comments(a1);
  ASSERT_TRUE(comments.is_ok());
  ASSERT_EQ(comments->size(), 2U);
  EXPECT_EQ((*comments)[0].user, "alice");
  EXPECT_EQ((*comments)[1].text, "confirmé");
  EXPECT_EQ((*comments)[1].at_ms, 200);
  EXPECT_EQ((*comments)[1].alert_id, a1);
  EXPECT_TRUE(store_->comments(a2)->empty());

  auto ev = store_->evidence(a1);
  ASSERT_TRUE(ev.is_ok());
  ASSERT_EQ(ev->size(), 2U);
  EXPECT_EQ((*ev)[0].kind, "snapshot");
  EXPECT_TRUE((*ev)[0].masked);
  EXPECT_EQ((*ev)[0].path, "2026/snapshot.bin");
  EXPECT_EQ((*ev)[0].sha256, std::string(64, 'a'));
  EXPECT_EQ((*ev)[0].bytes, 1234);
  EXPECT_EQ((*ev)[0].created_ms, 3000);
  EXPECT_EQ((*ev)[0].from_s, 1.5);
  EXPECT_EQ((*ev)[0].to_s, 2.5);
  EXPECT_EQ((*ev)[0].node, "node-snapshot");
  auto old = store_->evidence_before(2500);
  ASSERT_TRUE(old.is_ok());
  ASSERT_EQ(old->size(), 2U);
  EXPECT_EQ((*old)[0].kind, "clip");  // oldest first
  EXPECT_EQ((*old)[1].kind, "raw");
  EXPECT_FALSE((*old)[1].masked);
  EXPECT_EQ((*old)[1].node, "node-raw");
  EXPECT_TRUE(store_->write([&](Tx& tx) { return tx.delete_evidence(evidence_ids[1]); }).is_ok());
  EXPECT_EQ(store_->write([&](Tx& tx) { return tx.delete_evidence(evidence_ids[1]); }).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(store_->evidence_before(2500)->size(), 1U);

  auto users = store_->users();
  ASSERT_TRUE(users.is_ok());
  ASSERT_EQ(users->size(), 2U);
  EXPECT_EQ((*users)[0].name, "alice");
  EXPECT_EQ((*users)[0].role, "supervisor");
  EXPECT_EQ((*users)[0].password_hash, "$argon2id$z");
  EXPECT_TRUE((*users)[0].disabled);
  EXPECT_EQ((*users)[0].created_ms, 12);
  auto bob = store_->user("bob");
  ASSERT_TRUE(bob.is_ok() && bob->has_value());
  EXPECT_EQ((*bob)->role, "auditor");
  EXPECT_FALSE(store_->user("carol")->has_value());

  auto auths = store_->authorizations();
  ASSERT_TRUE(auths.is_ok());
  ASSERT_EQ(auths->size(), 2U);
  EXPECT_EQ((*auths)[0].reference, "AP-2026-000");
  EXPECT_TRUE((*auths)[0].cameras.empty());
  EXPECT_EQ((*auths)[0].event_types, std::vector<EventType>{EventType::kWeapon});
  EXPECT_EQ((*auths)[0].origin, "api");
  EXPECT_EQ((*auths)[1].cameras, std::vector<CameraId>{"gare-1"});
  EXPECT_EQ((*auths)[1].event_types, std::vector<EventType>{EventType::kFire});
  EXPECT_EQ((*auths)[1].end_ms, 5);
  EXPECT_EQ((*auths)[1].controller, "préfet");
  EXPECT_TRUE((*auths)[1].revoked);
}

TEST_P(StoreTest, AlertCountsGroupByTypeCameraHourAndCalibration) {
  constexpr TimeMs kHour = 3600000;
  const TimeMs base = 1700000000000 / kHour * kHour;
  AlertRecord a = sample_alert("a", EventType::kFire, base + 10);
  a.state = AlertState::kConfirmed;
  a.verdict_ms = base + 10 + 4000;
  add_alert(a);
  AlertRecord b = sample_alert("a", EventType::kFire, base + 20);
  b.state = AlertState::kClosed;  // dismissed, then closed
  b.reason = "shadow";
  b.verdict_ms = base + 20 + 6000;
  add_alert(b);
  add_alert(sample_alert("a", EventType::kFire, base + 30));
  AlertRecord cal = sample_alert("a", EventType::kFire, base + 40);
  cal.calibration = true;
  add_alert(cal);
  add_alert(sample_alert("a", EventType::kFire, base + kHour + 1));
  add_alert(sample_alert("b", EventType::kDensity, base + 5));
  add_alert(sample_alert("b", EventType::kDensity, base + 2 * kHour));  // outside the range

  auto rows = store_->alert_counts(base, base + 2 * kHour);
  ASSERT_TRUE(rows.is_ok()) << rows.status().to_string();
  ASSERT_EQ(rows->size(), 4U);
  const auto find = [&](EventType t, const std::string& cam, TimeMs hour, bool calibration) {
    for (const auto& r : *rows) {
      if (r.type == t && r.camera == cam && r.hour_ms == hour && r.calibration == calibration) {
        return r;
      }
    }
    ADD_FAILURE() << "no row " << to_string(t) << " " << cam << " " << hour;
    return AlertCountRow{};
  };
  const auto fire = find(EventType::kFire, "a", base, false);
  EXPECT_EQ(fire.alerts, 3);
  EXPECT_EQ(fire.confirmed, 1);
  EXPECT_EQ(fire.dismissed, 1);
  EXPECT_DOUBLE_EQ(fire.verdict_seconds_sum, 10.0);
  EXPECT_EQ(find(EventType::kFire, "a", base, true).alerts, 1);
  EXPECT_EQ(find(EventType::kFire, "a", base + kHour, false).alerts, 1);
  EXPECT_EQ(find(EventType::kDensity, "b", base, false).alerts, 1);
}

// ---- journal ------------------------------------------------------------------------------

TEST_P(StoreTest, JournalRecordsChainAndQueriesFilter) {
  const auto r1 = append("alert.raised", 1000, {{"alert", 1}});
  EXPECT_EQ(r1.seq, 1);
  EXPECT_EQ(r1.prev_hash, kGenesisHash);
  EXPECT_EQ(r1.hash, journal_hash(r1));
  const auto r2 = append("alert.seen", 2000, {{"alert", 1}}, "alice");
  EXPECT_EQ(r2.seq, 2);
  EXPECT_EQ(r2.prev_hash, r1.hash);
  append("login.failed", 3000, {{"user", "mallory"}});
  append("alert.verdict", 4000, {}, "alice");
  append("alert_x", 5000);  // not under the "alert." prefix
  append("alert.", 6000);

  const auto seqs = [&](const JournalQuery& q) {
    auto r = store_->journal(q);
    EXPECT_TRUE(r.is_ok()) << r.status().to_string();
    std::vector<std::int64_t> out;
    if (r.is_ok()) {
      for (const auto& j : *r) out.push_back(j.seq);
    }
    return out;
  };
  using V = std::vector<std::int64_t>;
  EXPECT_EQ(seqs({}), (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(seqs({.from_ms = 2000, .to_ms = 4000}), (V{2, 3}));
  EXPECT_EQ(seqs({.after_seq = 4}), (V{5, 6}));
  EXPECT_EQ(seqs({.action_prefix = "alert."}), (V{1, 2, 4, 6}));
  EXPECT_EQ(seqs({.action_prefix = "login"}), (V{3}));
  EXPECT_EQ(seqs({.action_prefix = ""}), (V{1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(seqs({.actor = "alice"}), (V{2, 4}));
  EXPECT_EQ(seqs({.after_seq = 1, .limit = 2}), (V{2, 3}));
  EXPECT_EQ(seqs({.from_ms = 1500, .action_prefix = "alert.", .actor = "alice", .limit = 1}),
            (V{2}));
  auto head = store_->journal_head();
  ASSERT_TRUE(head.is_ok() && head->has_value());
  EXPECT_EQ((*head)->seq, 6);
  EXPECT_FALSE(verify_chain(all_journal()).has_value());

  auto stored = store_->journal({.after_seq = 1, .limit = 1});
  ASSERT_TRUE(stored.is_ok() && stored->size() == 1);
  EXPECT_EQ((*stored)[0].actor, "alice");
  EXPECT_EQ((*stored)[0].action, "alert.seen");
  EXPECT_EQ((*stored)[0].at_ms, 2000);
  EXPECT_EQ((*stored)[0].detail, json({{"alert", 1}}));
  EXPECT_EQ((*stored)[0].hash, r2.hash);

  EXPECT_EQ(store_->write([](Tx& tx) {
                    return tx.journal({1, "system", "", {}}).status();
                  })
                .code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_
                ->write([](Tx& tx) {
                  return tx.journal({1, "system", "x", {{"bad", "\xff\xfe"}}}).status();
                })
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_P(StoreTest, DoublesInJournalDetailHashTheSameAfterTheDatabaseAndAnExport) {
  const json detail = {{"score", 0.1},
                       {"tiny", 1e-7},
                       {"third", 1.0 / 3.0},
                       {"big", 1.7976931348623157e308},
                       {"neg", -2.5e-300},
                       {"nested", {{"xs", {0.1, 0.2, 0.30000000000000004}}}},
                       {"int", 9007199254740993LL}};
  const auto written = append("alert.raised", 1234, detail);
  reopen();
  const auto records = all_journal();
  ASSERT_EQ(records.size(), 1U);
  const auto& r = records[0];
  EXPECT_EQ(r.detail.dump(), detail.dump());
  EXPECT_EQ(journal_hash(r), written.hash);
  EXPECT_EQ(r.hash, written.hash);
  const auto line = to_json(r).dump();
  auto back = journal_record_from_json(json::parse(line));
  ASSERT_TRUE(back.is_ok());
  EXPECT_EQ(journal_hash(*back), written.hash);
  EXPECT_FALSE(verify_chain({*back}).has_value());
}

TEST_P(StoreTest, ACommitTheDatabaseRefusesIsReportedUntilOneSucceeds) {
  append("first", 1);
  EXPECT_EQ(store_->commit_problem(), "");
  // The caller's own refusal says nothing of the database.
  (void)store_->write([](Tx&) { return unavailable("the caller changed its mind"); });
  EXPECT_EQ(store_->commit_problem(), "");
  // The database fails every journal record, as a full disk would (a trigger writing to a
  // table that is not there: an error of the database, not a constraint of the change).
  const std::string why = backend_->break_journal_inserts(true);
  const Status s = store_->write([](Tx& tx) -> Status {
    auto j = tx.journal({2, "system", "alert.raised", {}});
    return j.is_ok() ? Status::ok() : j.status();
  });
  EXPECT_FALSE(s.is_ok());
  EXPECT_THAT(store_->commit_problem(), HasSubstr(why));
  (void)backend_->break_journal_inserts(false);
  append("again", 3);
  EXPECT_EQ(store_->commit_problem(), "");
}

TEST_P(StoreTest, AFailedWriteLeavesNothingAndConsumesNoSeq) {
  append("first", 1);
  const Status s = store_->write([&](Tx& tx) -> Status {
    auto id = tx.put_alert(sample_alert());
    EXPECT_TRUE(id.is_ok());
    auto j = tx.journal({2, "system", "alert.raised", {{"alert", id.is_ok() ? *id : 0}}});
    EXPECT_TRUE(j.is_ok());
    EXPECT_EQ(j->seq, 2);
    return unavailable("the caller changed its mind");
  });
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_EQ(s.message(), "the caller changed its mind");

  const Status thrown = store_->write([&](Tx& tx) -> Status {
    (void)tx.put_alert(sample_alert());
    (void)tx.journal({3, "system", "alert.raised", {}});
    throw std::runtime_error("boom");
  });
  EXPECT_EQ(thrown.code(), StatusCode::kInternal);
  EXPECT_THAT(thrown.message(), HasSubstr("boom"));

  EXPECT_TRUE(store_->alerts({.include_calibration = true})->empty());
  EXPECT_EQ(all_journal().size(), 1U);
  EXPECT_EQ(append("next", 4).seq, 2);
  EXPECT_FALSE(verify_chain(all_journal()).has_value());

  // Nesting would deadlock or interleave transactions: refused.
  const Status nested =
      store_->write([&](Tx&) { return store_->write([](Tx&) { return Status::ok(); }); });
  EXPECT_EQ(nested.code(), StatusCode::kFailedPrecondition);
}

TEST_P(StoreTest, AThousandAppendsVerifyAndTamperingIsNamed) {
  ASSERT_TRUE(store_
                  ->write([&](Tx& tx) -> Status {
                    for (int i = 1; i <= 1000; ++i) {
                      auto r = tx.journal(
                          {1000 * i, "system", "alert.raised", {{"i", i}, {"score", 0.1 * i}}});
                      if (!r.is_ok()) return r.status();
                    }
                    return Status::ok();
                  })
                  .is_ok());
  const auto good = all_journal();
  ASSERT_EQ(good.size(), 1000U);
  EXPECT_FALSE(verify_chain(good).has_value());
  store_.reset();

  int copies = 0;
  const auto check = [&](const std::function<void(test::Backend&)>& tamper, std::int64_t seq,
                         const std::string& reason) {
    auto copy = backend_->copy("tampered" + std::to_string(++copies));
    tamper(*copy);
    auto store = copy->open();
    ASSERT_TRUE(store.is_ok()) << store.status().to_string();
    ChainVerifier v;
    std::optional<ChainBreak> found;
    std::int64_t after = 0;
    for (;;) {
      auto page = (*store)->journal({.after_seq = after, .limit = 128});
      ASSERT_TRUE(page.is_ok());
      if (page->empty()) break;
      for (const auto& r : *page) {
        if (!found) found = v.add(r);
      }
      after = page->back().seq;
    }
    ASSERT_TRUE(found.has_value()) << reason;
    EXPECT_EQ(found->seq, seq);
    EXPECT_EQ(found->reason, reason);
    store->reset();
  };
  check(
      [](test::Backend& db) {
        db.exec(R"(UPDATE journal SET detail = '{"i":500,"score":50.1}' WHERE seq = 500)");
      },
      500, "hash mismatch");
  check([](test::Backend& db) { db.exec("UPDATE journal SET detail = 'not json' WHERE seq = 77"); },
        77, "hash mismatch");
  check([](test::Backend& db) { db.exec("UPDATE journal SET at_ms = at_ms + 1 WHERE seq = 10"); },
        10, "hash mismatch");
  check([](test::Backend& db) { db.exec("UPDATE journal SET actor = 'alice' WHERE seq = 999"); },
        999, "hash mismatch");
  check([](test::Backend& db) { db.exec("DELETE FROM journal WHERE seq = 321"); }, 322,
        "gap after 320");
  check(
      [](test::Backend& db) {
        // Swap the hashes of two neighbours.
        db.exec(
            "UPDATE journal SET hash = CASE seq WHEN 600 THEN (SELECT hash FROM journal WHERE "
            "seq = 601) ELSE (SELECT hash FROM journal WHERE seq = 600) END WHERE seq IN (600, "
            "601)");
      },
      600, "hash mismatch");
  check(
      [](test::Backend& db) {
        // Another record's hash copied over this one's.
        db.exec(
            "UPDATE journal SET hash = (SELECT hash FROM journal WHERE seq = 1) WHERE seq = 400");
      },
      400, "hash mismatch");
  check([](test::Backend& db) { db.exec("UPDATE journal SET prev_hash = hash WHERE seq = 2"); }, 2,
        "prev_hash does not match record 1");
}

TEST_P(StoreTest, RetentionKeepsTheAnchorAndTheRestStillVerifies) {
  for (int i = 1; i <= 100; ++i) append("tick", 1000 * i, {{"i", i}});
  std::int64_t deleted = -1;
  ASSERT_TRUE(store_
                  ->write([&](Tx& tx) -> Status {
                    auto n = tx.delete_journal_before(50500);
                    if (!n.is_ok()) return n.status();
                    deleted = *n;
                    return Status::ok();
                  })
                  .is_ok());
  EXPECT_EQ(deleted, 49);
  auto rest = all_journal();
  ASSERT_EQ(rest.size(), 51U);
  EXPECT_EQ(rest.front().seq, 50);  // the anchor, older than the cutoff
  EXPECT_EQ(rest.front().at_ms, 50000);
  EXPECT_FALSE(verify_chain(rest).has_value());
  EXPECT_EQ(append("after", 200000).seq, 101);
  EXPECT_FALSE(verify_chain(all_journal()).has_value());

  // Nothing older than the cutoff: nothing deleted. Everything older: the head stays.
  ASSERT_TRUE(store_
                  ->write([&](Tx& tx) {
                    deleted = *tx.delete_journal_before(10);
                    return Status::ok();
                  })
                  .is_ok());
  EXPECT_EQ(deleted, 0);
  ASSERT_TRUE(store_
                  ->write([&](Tx& tx) {
                    deleted = *tx.delete_journal_before(1000000);
                    return Status::ok();
                  })
                  .is_ok());
  EXPECT_EQ(deleted, 51);
  rest = all_journal();
  ASSERT_EQ(rest.size(), 1U);
  EXPECT_EQ(rest[0].seq, 101);
  EXPECT_EQ(append("later", 300000).seq, 102);
  EXPECT_FALSE(verify_chain(all_journal()).has_value());
}

// ---- files and schema -----------------------------------------------------------------------

TEST_P(StoreTest, MigrationsBringANewFileToTheLatestVersionOnce) {
  const int latest = store_->schema_version();
  EXPECT_GE(latest, 1);
  const auto id = add_alert(sample_alert());
  append("x", 1);
  store_.reset();
  EXPECT_EQ(backend_->scalar("SELECT COUNT(*) FROM journal"), 1);
  reopen();
  EXPECT_EQ(store_->schema_version(), latest);
  EXPECT_TRUE(store_->alert(id)->has_value());
  EXPECT_EQ(all_journal().size(), 1U);
  store_.reset();
  backend_->set_schema_version(latest + 1);
  auto newer = backend_->open();
  ASSERT_FALSE(newer.is_ok());
  EXPECT_EQ(newer.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_THAT(newer.status().message(), HasSubstr("newer than this build"));
}

// Migrations add evidence.node and, later, alerts.verdict_measures. Evidence recorded before
// records named their node reads with an empty node after the migration, and new records keep
// theirs; an alert judged before measures were stored reads with none.
TEST_P(StoreTest, RowsFromBeforeTheLatestColumnsMigrateWithEmptyValues) {
  const int latest = store_->schema_version();
  AlertRecord judged = sample_alert();
  judged.verdict_measures = {"patrol_sent"};
  const std::int64_t alert = add_alert(judged);
  store_.reset();
  // The database as the version before evidence.node left it: neither column, one evidence
  // record.
  backend_->exec("ALTER TABLE alerts DROP COLUMN verdict_measures");
  backend_->exec("ALTER TABLE evidence DROP COLUMN node");
  backend_->exec(
      "INSERT INTO evidence (alert_id, kind, masked, path, sha256, bytes, created_ms, from_s, "
      "to_s) VALUES (" +
      std::to_string(alert) + ", 'snapshot', TRUE, 'old.jpg', 'h', 1, 5, 0, 0)");
  // Later migrations run again too: each is written so that it can.
  backend_->set_schema_version(backend_->evidence_node_version() - 1);
  reopen();
  EXPECT_EQ(store_->schema_version(), latest);
  auto old = store_->alert(alert);
  ASSERT_TRUE(old.is_ok() && old->has_value()) << old.status().to_string();
  EXPECT_TRUE((*old)->verdict_measures.empty());
  ASSERT_TRUE(store_
                  ->write([&](Tx& tx) {
                    return tx
                        .add_evidence({0, alert, "clip", true, "new.mp4", "h", 2, 6, 0, 1,
                                       "node-a"})
                        .status();
                  })
                  .is_ok());
  auto ev = store_->evidence(alert);
  ASSERT_TRUE(ev.is_ok()) << ev.status().to_string();
  ASSERT_EQ(ev->size(), 2U);
  EXPECT_EQ((*ev)[0].path, "old.jpg");
  EXPECT_EQ((*ev)[0].node, "");
  EXPECT_EQ((*ev)[1].node, "node-a");
}

TEST_F(SqliteStoreTest, RefusesFilesThatAreNotVigieDatabases) {
  const auto garbage = dir_ / "garbage.db";
  vigie::test::write_file(garbage, std::string(4096, 'x') + "this is not a database");
  auto r = open_sqlite_store(garbage);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr(garbage.string()));

  const auto foreign = dir_ / "foreign.db";
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(foreign.c_str(), &raw), SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(raw, "CREATE TABLE t (x)", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  r = open_sqlite_store(foreign);
  ASSERT_FALSE(r.is_ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("another application"));

  r = open_sqlite_store(dir_ / "no-such-dir" / "vigie.db");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

TEST_F(SqliteStoreTest, MakeStoreCreatesTheDataDirectory) {
  config::StorageConfig c;
  c.data_dir = (dir_ / "data" / "node").string();
  auto s = make_store(c);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_TRUE(std::filesystem::exists(dir_ / "data" / "node" / "vigie.db"));
  const auto perms = std::filesystem::status(dir_ / "data" / "node" / "vigie.db").permissions();
  EXPECT_EQ(perms & std::filesystem::perms::others_read, std::filesystem::perms::none);
}

// ---- threads and processes ------------------------------------------------------------------

TEST_P(StoreTest, ConcurrentWritersGetGaplessSeqs) {
  constexpr int kThreads = 4;
  constexpr int kWrites = 200;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const Status s = store_->write([&](Tx& tx) -> Status {
          AlertRecord a = sample_alert("cam-" + std::to_string(t));
          auto id = tx.put_alert(a);
          if (!id.is_ok()) return id.status();
          return tx.journal({i, "system", "alert.raised", {{"thread", t}, {"alert", *id}}})
              .status();
        });
        if (!s.is_ok()) ++failures;
      }
    });
  }
  // A reader beside the writers.
  std::thread reader([&] {
    while (!done) {
      if (!store_->journal_head().is_ok()) ++failures;
      if (!store_->alerts({.limit = 5}).is_ok()) ++failures;
    }
  });
  for (auto& th : threads) th.join();
  done = true;
  reader.join();
  EXPECT_EQ(failures, 0);
  const auto records = all_journal();
  ASSERT_EQ(records.size(), static_cast<std::size_t>(kThreads * kWrites));
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<std::int64_t>(i + 1));
  }
  EXPECT_FALSE(verify_chain(records).has_value());
  EXPECT_EQ(store_->alerts({.limit = 10000})->size(), records.size());
}

/// A crash helper writing forever from `threads` threads; its stdout is `out_fd`.
pid_t spawn_crash_child(const std::string& spec, int threads, int& out_fd) {
  const std::string child = std::string(VIGIE_BINARY_DIR) + "/tests/storage/storage_crash_child";
  EXPECT_TRUE(std::filesystem::exists(child)) << child;
  int fds[2];
  if (pipe(fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, fds[0]);
  std::string db = spec;
  std::string count = "-1";
  std::string tag = "crash";
  std::string thread_count = std::to_string(threads);
  std::vector<char*> argv = {const_cast<char*>(child.c_str()), db.data(), count.data(),
                             tag.data(), thread_count.data(), nullptr};
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, child.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    return -1;
  }
  out_fd = fds[0];
  return pid;
}

/// Reads the helper's output until `enough` says so or it ends; kills it; returns the output.
template <typename Enough>
std::string read_then_kill(pid_t pid, int fd, Enough enough, int& wstatus) {
  std::string out;
  char buf[256];
  while (!enough(out)) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n <= 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &wstatus, 0);
  close(fd);
  return out;
}

TEST_P(StoreTest, AProcessKilledRightAfterACommitLosesNothing) {
  store_.reset();
  int fd = -1;
  const pid_t pid = spawn_crash_child(backend_->spec(), 1, fd);
  ASSERT_GT(pid, 0);
  // Kill it the moment it says the first write returned; it is busy with further writes.
  int wstatus = 0;
  const std::string out = read_then_kill(
      pid, fd,
      [](const std::string& o) { return o.find("committed crash-first\n") != std::string::npos; },
      wstatus);
  ASSERT_NE(out.find("committed crash-first\n"), std::string::npos) << out;
  EXPECT_TRUE(WIFSIGNALED(wstatus));

  reopen();
  auto first = store_->alerts({.limit = 1000000});
  ASSERT_TRUE(first.is_ok());
  ASSERT_FALSE(first->empty());
  EXPECT_EQ(first->back().source_id, "crash-first");
  const auto records = all_journal();
  ASSERT_FALSE(records.empty());
  EXPECT_EQ(records[0].action, "alert.raised");
  EXPECT_EQ(records[0].detail["source"], "crash-first");
  EXPECT_FALSE(verify_chain(records).has_value());
  // Every write stored one alert and one record: the kill took both or neither.
  EXPECT_EQ(records.size(), first->size());
}

// Writes from several threads share commits: a write returns only after the commit that holds
// its changes, so whatever a thread was told before the kill is in the store, each alert with
// its journal record.
TEST_P(StoreTest, AProcessKilledWhileThreadsWriteLosesNoWriteThatReturned) {
  store_.reset();
  constexpr int kThreads = 6;
  constexpr std::size_t kReturned = 60;
  int fd = -1;
  const pid_t pid = spawn_crash_child(backend_->spec(), kThreads, fd);
  ASSERT_GT(pid, 0);
  int wstatus = 0;
  const std::string out = read_then_kill(
      pid, fd,
      [&](const std::string& o) {
        return static_cast<std::size_t>(std::count(o.begin(), o.end(), '\n')) >= kReturned;
      },
      wstatus);
  EXPECT_TRUE(WIFSIGNALED(wstatus));
  std::set<std::string> returned;
  std::size_t start = 0;
  for (std::size_t nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', start)) {
    const std::string line = out.substr(start, nl - start);
    start = nl + 1;
    ASSERT_EQ(line.rfind("committed ", 0), 0U) << line;
    returned.insert(line.substr(10));
  }
  ASSERT_GE(returned.size(), kReturned) << out;

  reopen();
  auto alerts = store_->alerts({.limit = 1000000});
  ASSERT_TRUE(alerts.is_ok());
  std::set<std::string> stored;
  for (const auto& a : *alerts) stored.insert(a.source_id);
  const auto records = all_journal();
  std::set<std::string> journaled;
  for (const auto& r : records) journaled.insert(r.detail["source"].get<std::string>());
  for (const auto& source : returned) {
    EXPECT_TRUE(stored.count(source) == 1) << source << " returned but is not stored";
    EXPECT_TRUE(journaled.count(source) == 1) << source << " returned but is not journaled";
  }
  EXPECT_EQ(stored, journaled);
  EXPECT_FALSE(verify_chain(records).has_value());
}

// Concurrent writes that share a transaction are still kept or refused one by one: a write
// its caller refuses takes its alert and its journal record back with it, and the others
// keep theirs, on one gapless chain.
TEST_P(StoreTest, ARefusedWriteAmongConcurrentOnesIsRolledBackAlone) {
  constexpr int kThreads = 6;
  constexpr int kWrites = 60;
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        const bool refuse = (i + t) % 3 == 0;
        const std::string source = std::to_string(t) + "-" + std::to_string(i);
        const Status s = store_->write([&](Tx& tx) -> Status {
          AlertRecord a = sample_alert("cam-" + std::to_string(t));
          a.source_id = source;
          auto id = tx.put_alert(a);
          if (!id.is_ok()) return id.status();
          auto j = tx.journal({i, "system", "alert.raised", {{"source", source}}});
          if (!j.is_ok()) return j.status();
          if (refuse) return invalid_argument("refused " + source);
          return Status::ok();
        });
        if (refuse ? s.message() != "refused " + source : !s.is_ok()) ++unexpected;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(unexpected, 0);
  const auto records = all_journal();
  const auto alerts = store_->alerts({.limit = 100000});
  ASSERT_TRUE(alerts.is_ok());
  std::set<std::string> kept;
  for (const auto& a : *alerts) kept.insert(a.source_id);
  std::set<std::string> journaled;
  for (const auto& r : records) journaled.insert(r.detail["source"].get<std::string>());
  std::set<std::string> expected;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWrites; ++i) {
      if ((i + t) % 3 != 0) expected.insert(std::to_string(t) + "-" + std::to_string(i));
    }
  }
  EXPECT_EQ(kept, expected);
  EXPECT_EQ(journaled, expected);
  ASSERT_EQ(records.size(), expected.size());
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_EQ(records[i].seq, static_cast<std::int64_t>(i + 1));
  }
  EXPECT_FALSE(verify_chain(records).has_value());
}

}  // namespace
}  // namespace vigie::storage
