#pragma once
// A fixed pool of workers that runs many cameras' steps. A camera is queued when it has
// work (its source said so); a worker takes it, runs one step, and re-queues it if more
// work is pending. A task never runs on two workers at once, so per-camera state needs
// no lock, and hundreds of cameras need only as many threads as there are cores.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "core/worker.hpp"

namespace vigie::engine {

/// What a step left behind.
enum class StepOutcome {
  kMore,  ///< more work is ready: queue me again
  kIdle,  ///< nothing to do until wake() is called
  kDone,  ///< finished for good: never queue me again
};

/// A unit the scheduler drives. step() is called by one worker at a time.
class Task {
 public:
  virtual ~Task() = default;
  virtual StepOutcome step() = 0;
};

/// Whether the workers make progress, for the service watchdog.
enum class SchedulerState {
  kHealthy,  ///< every running step is young and queued work is being taken
  kStuck,    ///< a step has run too long, or queued work has waited too long
};

/// What Scheduler::health() saw.
struct SchedulerHealth {
  SchedulerState state = SchedulerState::kHealthy;
  double longest_step_s = 0;  ///< the step running longest now; 0 when none runs
  double oldest_wait_s = 0;   ///< the task queued longest now; 0 when none waits
};

class Scheduler {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;
  /// Handle of a task added to the scheduler; stable for the scheduler's lifetime.
  using TaskId = std::size_t;

  explicit Scheduler(std::size_t workers);
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  /// Registers a task (not owned; it must outlive the scheduler or be removed by stop()).
  /// The task is idle until woken.
  TaskId add(Task& task);
  /// Marks the task as having work. Thread-safe; cheap when already queued or running.
  void wake(TaskId id);
  /// Takes a task out of the schedule for good: waits for a step in progress to finish (so
  /// the task may be destroyed once this returns), and never runs it again. Must not be
  /// called from a worker. Thread-safe.
  void remove(TaskId id);
  /// Stops the workers after their current step, and joins them. Idempotent.
  void stop();

  [[nodiscard]] std::size_t worker_count() const { return workers_.size(); }
  /// Tasks waiting for a worker right now (for /metrics).
  [[nodiscard]] std::size_t queue_depth() const;
  /// Stuck when a step has been running, or a queued task waiting, for more than
  /// `stuck_after_s` at `now` (steady clock). A step is one frame's decode and analysis,
  /// milliseconds; one lasting seconds is a hang, not load. Thread-safe.
  [[nodiscard]] SchedulerHealth health(SteadyTime now, double stuck_after_s) const;

 private:
  enum class Slot { kIdle, kQueued, kRunning, kRunningWoken, kDone };
  struct Entry {
    Task* task;
    Slot slot = Slot::kIdle;
    bool removed = false;  // remove() was called: never queued again
    SteadyTime since{};  ///< when it was queued (kQueued) or its step began (kRunning*)
  };

  void run_worker(const std::stop_token& stop);
  void enqueue(TaskId id);

  mutable std::mutex mutex_;
  std::condition_variable_any cv_;     // a task was queued (a stop wakes it by itself)
  std::condition_variable step_done_;  // a step finished, or the workers were joined
  std::deque<TaskId> ready_;           // guarded by mutex_
  std::vector<Entry> tasks_;           // guarded by mutex_
  // Filled by the constructor, emptied by stop() once joined; read under mutex_ by remove().
  std::vector<Worker> workers_;
};

}  // namespace vigie::engine
