// Statistics over a real (SQLite) store: what an evaluator reads of the operators' verdicts.
#include "alerts/statistics.hpp"

#include <gtest/gtest.h>

#include "support/process.hpp"

namespace vigie::alerts {
namespace {

constexpr storage::TimeMs kHour = 3600 * 1000;
constexpr storage::TimeMs kT0 = 1'780'000'000'000 / kHour * kHour;  // an hour's start

class StatisticsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = storage::open_sqlite_store(dir_ / "vigie.db");
    ASSERT_TRUE(s.is_ok()) << s.status().to_string();
    store_ = std::move(*s);
  }

  /// An alert raised at `raised_ms`, judged `wait_s` later unless `state` is new.
  void add(EventType type, const std::string& camera, storage::TimeMs raised_ms,
           storage::AlertState state, double wait_s = 0, bool calibration = false) {
    Status s = store_->write([&](storage::Tx& tx) -> Status {
      storage::AlertRecord a;
      a.type = type;
      a.camera = camera;
      a.raised_ms = raised_ms;
      a.updated_ms = raised_ms;
      a.calibration = calibration;
      a.state = state;
      if (state != storage::AlertState::kNew) {
        a.verdict_by = "operator";
        a.verdict_ms = raised_ms + static_cast<storage::TimeMs>(wait_s * 1000);
        if (state == storage::AlertState::kDismissed) a.reason = "reflection";
      }
      return tx.put_alert(a).status();
    });
    ASSERT_TRUE(s.is_ok()) << s.to_string();
  }

  test::TempDir dir_{"vigie-statistics"};
  std::unique_ptr<storage::Store> store_;
};

TEST_F(StatisticsTest, PrecisionAndTimesToVerdictByTypeCameraAndHour) {
  add(EventType::kFire, "hall", kT0 + 1000, storage::AlertState::kConfirmed, 10);
  add(EventType::kFire, "hall", kT0 + 2000, storage::AlertState::kDismissed, 30);
  add(EventType::kFire, "yard", kT0 + kHour + 5, storage::AlertState::kConfirmed, 20);
  add(EventType::kIntrusion, "yard", kT0 + 3000, storage::AlertState::kNew);
  // Calibration alerts are counted apart, never in the operators' precision.
  add(EventType::kFire, "hall", kT0 + 4000, storage::AlertState::kDismissed, 1, /*calibration=*/true);

  auto s = compute_statistics(*store_, kT0, kT0 + 2 * kHour);
  ASSERT_TRUE(s.is_ok()) << s.status().to_string();
  EXPECT_EQ(s->total.alerts, 4);
  EXPECT_EQ(s->total.judged(), 3);
  ASSERT_TRUE(s->total.precision());
  EXPECT_DOUBLE_EQ(*s->total.precision(), 2.0 / 3.0);
  ASSERT_TRUE(s->median_verdict_s);
  EXPECT_DOUBLE_EQ(*s->median_verdict_s, 20.0);
  EXPECT_DOUBLE_EQ(*s->total.mean_verdict_s(), 20.0);

  const TypeStatistics& fire = s->by_type.at("fire");
  EXPECT_EQ(fire.tally.alerts, 3);
  EXPECT_EQ(fire.by_camera.at("hall").dismissed, 1);
  EXPECT_EQ(fire.by_camera.at("yard").confirmed, 1);
  const TypeStatistics& intrusion = s->by_type.at("intrusion");
  EXPECT_FALSE(intrusion.tally.precision()) << "nothing judged: no precision, not zero";
  EXPECT_FALSE(intrusion.median_verdict_s);

  EXPECT_EQ(s->by_hour.at(kT0), 3);
  EXPECT_EQ(s->by_hour.at(kT0 + kHour), 1);
  EXPECT_EQ(s->calibration.alerts, 1);
  EXPECT_EQ(s->calibration.by_camera.at("hall"), 1);
  EXPECT_FALSE(s->median_truncated);
}

TEST_F(StatisticsTest, OnlyThePeriodAsked) {
  add(EventType::kFire, "hall", kT0 - 1, storage::AlertState::kConfirmed, 5);
  add(EventType::kFire, "hall", kT0, storage::AlertState::kConfirmed, 7);
  add(EventType::kFire, "hall", kT0 + kHour, storage::AlertState::kConfirmed, 9);
  auto s = compute_statistics(*store_, kT0, kT0 + kHour);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->total.alerts, 1);
  EXPECT_DOUBLE_EQ(*s->median_verdict_s, 7.0);
}

TEST_F(StatisticsTest, MediansOverTheNewestAlertsWhenThereAreTooMany) {
  for (int i = 0; i < 12; ++i) add(EventType::kFire, "hall", kT0 + i, storage::AlertState::kConfirmed, i);
  auto s = compute_statistics(*store_, kT0, kT0 + kHour, /*max_timed_alerts=*/5);
  ASSERT_TRUE(s.is_ok());
  EXPECT_EQ(s->total.alerts, 12) << "counts are never truncated";
  EXPECT_TRUE(s->median_truncated);
  // The newest five waited 11, 10, 9, 8 and 7 s.
  EXPECT_DOUBLE_EQ(*s->median_verdict_s, 9.0);
}

TEST_F(StatisticsTest, AnEmptyOrReversedPeriodIsRefused) {
  EXPECT_EQ(compute_statistics(*store_, kT0, kT0).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(compute_statistics(*store_, kT0 + 1, kT0).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(Median, OfOddAndEvenCounts) {
  EXPECT_FALSE(median({}));
  EXPECT_DOUBLE_EQ(*median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(*median({4, 1, 3, 2}), 2.5);
}

}  // namespace
}  // namespace vigie::alerts
