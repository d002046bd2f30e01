#include <gtest/gtest.h>

#include <pthread.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "core/worker.hpp"

namespace vigie {
namespace {

using namespace std::chrono_literals;

// Polls a condition another thread makes true; generous, since the machine may be loaded.
template <typename Pred>
bool eventually(Pred pred) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

TEST(WorkerTest, StopWakesALoopWaitingOnAConditionThatNeverComes) {
  std::mutex mutex;
  std::condition_variable_any cv;
  std::atomic<bool> waiting{false};
  std::atomic<bool> woke_by_stop{false};
  Worker worker("test-wait", [&](std::stop_token stop) {
    std::unique_lock lock(mutex);
    waiting = true;
    // Nobody notifies cv: only the stop request can end this wait.
    const bool ready = cv.wait(lock, stop, [] { return false; });
    woke_by_stop = !ready && stop.stop_requested();
  });
  ASSERT_TRUE(eventually([&] { return waiting.load(); }));
  worker.stop();
  EXPECT_TRUE(woke_by_stop);
  EXPECT_FALSE(worker.running());
}

TEST(WorkerTest, StopCutsSleepForShort) {
  std::atomic<bool> sleeping{false};
  std::atomic<int> result{-1};
  Worker worker("test-sleep", [&](std::stop_token stop) {
    sleeping = true;
    result = sleep_for(stop, std::chrono::hours(1)) ? 1 : 0;
  });
  ASSERT_TRUE(eventually([&] { return sleeping.load(); }));
  worker.stop();
  EXPECT_EQ(result, 0);  // told the loop to end, an hour early
}

TEST(WorkerTest, SleepForRunsItsTimeWithoutAStop) {
  std::stop_source never;
  EXPECT_TRUE(sleep_for(never.get_token(), 1ms));
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(sleep_for(stopped.get_token(), std::chrono::hours(1)));
}

TEST(WorkerTest, ALoopBodySeesStopRequested) {
  std::atomic<long> turns{0};
  std::atomic<bool> saw_stop{false};
  Worker worker("test-loop", [&](std::stop_token stop) {
    while (!stop.stop_requested()) ++turns;
    saw_stop = true;
  });
  ASSERT_TRUE(eventually([&] { return turns.load() > 0; }));
  EXPECT_FALSE(worker.stop_requested());
  worker.request_stop();
  EXPECT_TRUE(worker.stop_requested());
  worker.stop();
  EXPECT_TRUE(saw_stop);
  worker.stop();  // idempotent
}

TEST(WorkerTest, DestructorStopsAndJoins) {
  std::atomic<bool> started{false};
  std::atomic<bool> finished{false};
  {
    Worker worker("test-join", [&](std::stop_token stop) {
      started = true;
      sleep_for(stop, std::chrono::hours(1));
      // Work done after the stop, which the destructor must wait for.
      std::this_thread::sleep_for(50ms);
      finished = true;
    });
    ASSERT_TRUE(eventually([&] { return started.load(); }));
  }
  EXPECT_TRUE(finished);
}

TEST(WorkerTest, AssigningAWorkerStopsTheThreadItHeld) {
  std::atomic<bool> first_done{false};
  std::atomic<bool> second_running{false};
  Worker worker("test-first", [&](std::stop_token stop) {
    sleep_for(stop, std::chrono::hours(1));
    first_done = true;
  });
  worker = Worker("test-second", [&](std::stop_token stop) {
    second_running = true;
    sleep_for(stop, std::chrono::hours(1));
  });
  EXPECT_TRUE(first_done);
  ASSERT_TRUE(eventually([&] { return second_running.load(); }));
  EXPECT_TRUE(worker.running());
  EXPECT_FALSE(worker.stop_requested());
}

TEST(WorkerTest, AnEmptyWorkerStopsAtOnce) {
  Worker worker;
  EXPECT_FALSE(worker.running());
  EXPECT_FALSE(worker.stop_requested());
  worker.stop();
}

TEST(WorkerTest, TheThreadCarriesItsName) {
  std::string seen;
  std::atomic<bool> named{false};
  Worker worker("vigie-testname", [&](std::stop_token) {
    char name[16] = {};
    pthread_getname_np(pthread_self(), name, sizeof(name));
    seen = name;
    named = true;
  });
  ASSERT_TRUE(eventually([&] { return named.load(); }));
  worker.stop();
  EXPECT_EQ(seen, "vigie-testname");
}

}  // namespace
}  // namespace vigie
