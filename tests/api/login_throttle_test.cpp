// The login throttle on a manual clock: attempts are counted before their check, so parallel
// guesses beyond the free failures are refused; successes and long quiet forget failures.

#include "api/auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace vigie::api {
namespace {

constexpr int kFree = 5;
constexpr double kBase = 30;
constexpr double kMax = 900;

std::vector<std::string> keys(const std::string& user, const std::string& addr = "10.0.0.1") {
  return {"user:" + user, "addr:" + addr};
}

TEST(LoginThrottle, ParallelAttemptsBeyondTheFreeFailuresAreRefusedBeforeTheirCheck) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  int admitted = 0;
  for (int i = 0; i < 50; ++i) admitted += t.admit(keys("op")) == 0 ? 1 : 0;
  EXPECT_EQ(admitted, kFree) << "attempts still being checked count against the free failures";
  EXPECT_GT(t.admit(keys("op")), 0);
  for (int i = 0; i < admitted; ++i) t.finish(keys("op"), LoginOutcome::kFailed);
  EXPECT_NEAR(t.wait_s("user:op"), kBase, 1e-6);
  EXPECT_NEAR(t.admit(keys("op")), kBase, 1e-6);
}

TEST(LoginThrottle, PastTheFreeFailuresOneAttemptAtATimeAndEachFailureDoubles) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  for (int i = 0; i < kFree; ++i) {
    ASSERT_EQ(t.admit(keys("op")), 0);
    t.finish(keys("op"), LoginOutcome::kFailed);
  }
  clock.advance(Seconds(kBase + 1));
  ASSERT_EQ(t.admit(keys("op")), 0);
  EXPECT_GT(t.admit(keys("op")), 0) << "a second parallel attempt must wait for the first";
  t.finish(keys("op"), LoginOutcome::kFailed);
  EXPECT_NEAR(t.wait_s("user:op"), 2 * kBase, 1e-6);
}

TEST(LoginThrottle, AbandonedAttemptsCountNothing) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  for (int i = 0; i < 3 * kFree; ++i) {
    ASSERT_EQ(t.admit(keys("op")), 0) << i;
    t.finish(keys("op"), LoginOutcome::kAbandoned);
  }
  EXPECT_EQ(t.wait_s("user:op"), 0);
}

TEST(LoginThrottle, ASuccessForgetsTheAddressFailuresOfOtherUsers) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  // Behind a proxy: four users mistype once each from the same address.
  for (const char* user : {"a", "b", "c", "d"}) {
    ASSERT_EQ(t.admit(keys(user)), 0);
    t.finish(keys(user), LoginOutcome::kFailed);
  }
  ASSERT_EQ(t.admit(keys("e")), 0);
  t.finish(keys("e"), LoginOutcome::kSucceeded);
  // The address starts over: five more typos from it before any refusal.
  for (const char* user : {"f", "g", "h", "i"}) {
    ASSERT_EQ(t.admit(keys(user)), 0) << user;
    t.finish(keys(user), LoginOutcome::kFailed);
  }
  EXPECT_EQ(t.wait_s("addr:10.0.0.1"), 0);
  // Another address is never affected.
  EXPECT_EQ(t.admit(keys("a", "10.0.0.2")), 0);
}

TEST(LoginThrottle, TheRightPasswordDoesNotLiftARefusal) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  for (int i = 0; i < kFree; ++i) {
    ASSERT_EQ(t.admit(keys("op")), 0);
    t.finish(keys("op"), LoginOutcome::kFailed);
  }
  EXPECT_GT(t.admit(keys("op", "10.0.0.9")), 0) << "refused by the user's key alone";
}

TEST(LoginThrottle, FailuresAreForgottenAfterTheLongestDelayWithoutAttempts) {
  ManualClock clock;
  LoginThrottle t(clock, kFree, kBase, kMax);
  for (int i = 0; i < kFree - 1; ++i) {
    ASSERT_EQ(t.admit(keys("op")), 0);
    t.finish(keys("op"), LoginOutcome::kFailed);
  }
  clock.advance(Seconds(kMax + 1));
  for (int i = 0; i < kFree - 1; ++i) {
    ASSERT_EQ(t.admit(keys("op")), 0) << i;
    t.finish(keys("op"), LoginOutcome::kFailed);
  }
  EXPECT_EQ(t.wait_s("user:op"), 0);
}

}  // namespace
}  // namespace vigie::api
