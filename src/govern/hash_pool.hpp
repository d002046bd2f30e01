#pragma once
// A few threads that run password hashing. argon2id is built to cost tens of milliseconds of
// CPU and 64 MiB per call; run on every request thread, a flood of logins takes every core
// from analysis. Here at most `threads` hashes run at once, at a lower CPU priority than
// analysis, and callers beyond a short queue, or waiting too long, are told to retry.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <vector>

#include "core/status.hpp"
#include "core/worker.hpp"

namespace vigie::govern {

/// Sizing of a HashPool; the defaults suit a node.
struct HashPoolOptions {
  int threads = 2;         ///< hashes running at once
  std::size_t queue = 16;  ///< callers waiting for a busy thread beyond this are refused at once
  double max_wait_s = 5;   ///< a caller not started within this is refused
  /// Runs on the pool's thread before each job: a seam for tests (to hold or count jobs).
  std::function<void()> before_each;
};

/// Counters of a HashPool.
struct HashPoolStats {
  int running = 0;            ///< jobs running now
  std::size_t queued = 0;     ///< callers waiting for a thread now
  int peak = 0;               ///< most jobs ever running at once
  std::uint64_t done = 0;     ///< jobs run to the end
  std::uint64_t refused = 0;  ///< callers told to retry
};

/// Thread-safe: run() from any thread. The destructor joins the threads; no run() may be in
/// progress then.
class HashPool {
 public:
  explicit HashPool(HashPoolOptions options = {});
  ~HashPool();
  HashPool(const HashPool&) = delete;
  HashPool& operator=(const HashPool&) = delete;

  /// Runs `work` on one of the pool's threads and returns once it has run. Unavailable, with
  /// nothing run, when every thread is busy and `queue` callers already wait, or when no
  /// thread took the work within max_wait_s. `work` must not throw.
  Status run(const std::function<void()>& work);
  [[nodiscard]] HashPoolStats stats() const;

 private:
  enum class JobState { kQueued, kRunning, kDone };
  struct Job {
    const std::function<void()>* work;
    JobState state = JobState::kQueued;
  };
  void serve(const std::stop_token& stop);

  HashPoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable_any work_ready_;  // a job was queued, or stop
  std::condition_variable job_changed_;     // a job started or finished
  std::deque<Job*> queue_;                  // guarded by mutex_; the jobs live on run()'s stack
  HashPoolStats stats_;                     // guarded by mutex_
  std::vector<Worker> threads_;             // last: they start using the members above
};

}  // namespace vigie::govern
