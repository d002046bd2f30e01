#include "alerts/retention.hpp"

#include <gtest/gtest.h>

#include "storage/journal_chain.hpp"
#include "support/process.hpp"

namespace vigie::alerts {
namespace {

constexpr double kDay = 24 * 3600;

class RetentionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::open_sqlite_store(dir_ / "vigie.db");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  storage::TimeMs now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               clock_.wall_now().time_since_epoch())
        .count();
  }

  // An alert with one evidence file written now.
  std::int64_t add_evidence(const std::string& name) {
    std::int64_t id = 0;
    const auto path = dir_ / "evidence" / name / "snapshot.jpg";
    test::write_file(path, "jpeg bytes of " + name);
    Status s = store_->write([&](storage::Tx& tx) -> Status {
      storage::AlertRecord a;
      a.camera = "cam1";
      a.raised_ms = now_ms();
      auto aid = tx.put_alert(a);
      if (!aid.is_ok()) return aid.status();
      storage::EvidenceRecord e;
      e.alert_id = *aid;
      e.kind = "snapshot";
      e.path = name + "/snapshot.jpg";
      e.sha256 = std::string(64, '1');
      e.created_ms = now_ms();
      auto eid = tx.add_evidence(e);
      if (!eid.is_ok()) return eid.status();
      id = *eid;
      auto j = tx.journal({now_ms(), "system", "evidence.stored", {{"evidence", id}}});
      return j.is_ok() ? Status::ok() : j.status();
    });
    EXPECT_TRUE(s.is_ok()) << s.to_string();
    return id;
  }

  test::TempDir dir_{"vigie-retention"};
  ManualClock clock_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(RetentionTest, PolicyNeverExceedsTheLegalMaximum) {
  config::StorageConfig c;
  c.evidence_days = 90;  // the schema refuses it; the policy clamps it anyway
  EXPECT_EQ(RetentionPolicy::from(c).evidence_days, kMaxEvidenceDays);
  c.evidence_days = 7;
  EXPECT_EQ(RetentionPolicy::from(c).evidence_days, 7);
}

TEST_F(RetentionTest, DeletesEvidenceOlderThanThePolicyAndJournalsIt) {
  add_evidence("old");
  clock_.advance(Seconds(10 * kDay));
  add_evidence("recent");
  RetentionPolicy policy;
  policy.evidence_days = 7;

  clock_.advance(Seconds(1 * kDay));  // "old" is 11 days old, "recent" 1 day
  auto r = purge_once(*store_, dir_ / "evidence", clock_, policy);
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->evidence_deleted, 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "evidence" / "old" / "snapshot.jpg"));
  EXPECT_FALSE(std::filesystem::exists(dir_ / "evidence" / "old"));
  EXPECT_TRUE(std::filesystem::exists(dir_ / "evidence" / "recent" / "snapshot.jpg"));

  auto head = store_->journal_head();
  ASSERT_TRUE(head.is_ok() && head->has_value());
  EXPECT_EQ((*head)->action, "retention.purged");
  ASSERT_EQ((*head)->detail["evidence"].size(), 1U);
  EXPECT_EQ((*head)->detail["evidence"][0]["path"], "old/snapshot.jpg");

  // Nothing more to delete: a second purge writes nothing.
  const auto seq = (*head)->seq;
  ASSERT_TRUE(purge_once(*store_, dir_ / "evidence", clock_, policy).is_ok());
  EXPECT_EQ((*store_->journal_head())->seq, seq);
}

TEST_F(RetentionTest, AtMostThirtyDaysWhateverThePolicySays) {
  add_evidence("a");
  clock_.advance(Seconds(31 * kDay));
  RetentionPolicy policy;
  policy.evidence_days = 365;
  auto r = purge_once(*store_, dir_ / "evidence", clock_, policy);
  ASSERT_TRUE(r.is_ok());
  EXPECT_EQ(r->evidence_deleted, 1);
}

TEST_F(RetentionTest, JournalKeepsTwelveMonthsAndStillVerifies) {
  add_evidence("a0");
  add_evidence("a");  // the newest record older than the cutoff stays, as the anchor
  clock_.advance(Seconds(200 * kDay));
  add_evidence("b");
  clock_.advance(Seconds(200 * kDay));  // "a" is 400 days old, "b" 200
  auto r = purge_once(*store_, dir_ / "evidence", clock_, RetentionPolicy{});
  ASSERT_TRUE(r.is_ok()) << r.status().to_string();
  EXPECT_EQ(r->evidence_deleted, 3);
  EXPECT_EQ(r->journal_deleted, 1);
  auto all = store_->journal({});
  ASSERT_TRUE(all.is_ok());
  for (const auto& rec : *all) {
    EXPECT_GE(rec.seq, 1);
  }
  EXPECT_FALSE(storage::verify_chain(*all).has_value());
  EXPECT_EQ(all->back().action, "retention.purged");
  // The journal no longer starts at the genesis, but at the anchor the purge names.
  ASSERT_GT(all->front().seq, 1);
  EXPECT_EQ(all->back().detail["journal_anchor"]["seq"], all->front().seq);
  storage::ChainVerifier whole;
  for (const auto& rec : *all) ASSERT_FALSE(whole.add(rec).has_value());
  EXPECT_FALSE(whole.unanchored_start().has_value());
  // Without the purge's record, the same start is records removed.
  storage::ChainVerifier cut;
  for (std::size_t i = 0; i + 1 < all->size(); ++i) ASSERT_FALSE(cut.add((*all)[i]).has_value());
  ASSERT_TRUE(cut.unanchored_start().has_value());
  EXPECT_EQ(cut.unanchored_start()->seq, all->front().seq);
}

TEST_F(RetentionTest, JobRunsAtStartAndStopsPromptly) {
  add_evidence("a");
  clock_.advance(Seconds(40 * kDay));
  RetentionJob job(*store_, dir_ / "evidence", clock_, RetentionPolicy{}, 3600);
  job.start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (job.runs() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto before = std::chrono::steady_clock::now();
  job.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - before, std::chrono::seconds(1));
  EXPECT_EQ(job.runs(), 1);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "evidence" / "a" / "snapshot.jpg"));
}

}  // namespace
}  // namespace vigie::alerts
