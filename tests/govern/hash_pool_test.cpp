// The password hashing pool: how many jobs run at once, who is refused, and at what priority.
// Jobs are held by a hook until the test lets them go, so every count is exact; waits are
// polls against generous deadlines.

#include "govern/hash_pool.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

namespace vigie::govern {
namespace {

/// Holds every job at its start until release().
class Gate {
 public:
  std::function<void()> hook() {
    return [this] {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::seconds(60), [&] { return released_; });
    };
  }
  void release() {
    {
      std::lock_guard lock(mutex_);
      released_ = true;
    }
    cv_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool released_ = false;
};

template <typename Pred>
bool poll(Pred pred, double seconds = 30) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return pred();
}

TEST(HashPool, AtMostItsThreadsRunAtOnceAndTheOthersWaitTheirTurn) {
  Gate gate;
  HashPool pool({.threads = 2, .queue = 16, .max_wait_s = 60, .before_each = gate.hook()});
  std::atomic<int> ran{0};
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < 8; ++i) {
    callers.emplace_back([&] {
      if (pool.run([&] { ++ran; }).is_ok()) ++ok;
    });
  }
  ASSERT_TRUE(poll([&] {
    const auto s = pool.stats();
    return s.running == 2 && s.queued == 6;
  })) << "running "
      << pool.stats().running << ", queued " << pool.stats().queued;
  gate.release();
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(ran.load(), 8);
  const auto s = pool.stats();
  EXPECT_EQ(s.peak, 2);
  EXPECT_EQ(s.done, 8U);
  EXPECT_EQ(s.refused, 0U);
}

TEST(HashPool, CallersBeyondTheQueueAreRefusedAtOnce) {
  Gate gate;
  HashPool pool({.threads = 1, .queue = 2, .max_wait_s = 60, .before_each = gate.hook()});
  std::vector<std::thread> callers;
  for (int i = 0; i < 3; ++i) callers.emplace_back([&] { (void)pool.run([] {}); });
  ASSERT_TRUE(poll([&] {
    const auto s = pool.stats();
    return s.running == 1 && s.queued == 2;
  }));
  bool ran = false;
  const Status refused = pool.run([&] { ran = true; });
  EXPECT_EQ(refused.code(), StatusCode::kUnavailable) << refused.to_string();
  gate.release();
  for (auto& t : callers) t.join();
  EXPECT_FALSE(ran);
  EXPECT_EQ(pool.stats().refused, 1U);
  EXPECT_EQ(pool.stats().done, 3U);
}

TEST(HashPool, ACallerNotStartedInTimeIsRefusedAndItsWorkNeverRuns) {
  Gate gate;
  HashPool pool({.threads = 1, .queue = 4, .max_wait_s = 0.05, .before_each = gate.hook()});
  std::thread first([&] { (void)pool.run([] {}); });
  ASSERT_TRUE(poll([&] { return pool.stats().running == 1; }));
  std::atomic<bool> ran{false};
  // The only thread is held until after this returns, so it cannot have started.
  const Status late = pool.run([&] { ran = true; });
  EXPECT_EQ(late.code(), StatusCode::kUnavailable);
  gate.release();
  first.join();
  EXPECT_EQ(pool.stats().done, 1U);
  EXPECT_EQ(pool.stats().queued, 0U);
  EXPECT_FALSE(ran.load());
}

TEST(HashPool, JobsRunAtALowerPriorityThanTheCaller) {
  HashPool pool;
  int nice_value = 0;
  ASSERT_TRUE(pool.run([&] {
                    errno = 0;
                    nice_value = getpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)));
                  })
                  .is_ok());
  EXPECT_GE(nice_value, 10);
}

}  // namespace
}  // namespace vigie::govern
