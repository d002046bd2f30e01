#include "engine/scheduler.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace vigie::engine {

Scheduler::Scheduler(std::size_t workers) {
  if (workers == 0) workers = 1;
  workers_.reserve(workers);
  for (std::size_t i = 0; i < workers; ++i) {
    workers_.emplace_back("vigie-analysis",
                          [this](const std::stop_token& stop) { run_worker(stop); });
  }
}

Scheduler::~Scheduler() {
  stop();
}

Scheduler::TaskId Scheduler::add(Task& task) {
  std::lock_guard lock(mutex_);
  tasks_.push_back(Entry{&task});
  return tasks_.size() - 1;
}

void Scheduler::wake(TaskId id) {
  std::lock_guard lock(mutex_);
  if (id >= tasks_.size()) return;
  Entry& e = tasks_[id];
  switch (e.slot) {
    case Slot::kIdle:
      if (!e.removed) enqueue(id);
      break;
    case Slot::kRunning: e.slot = Slot::kRunningWoken; break;
    case Slot::kQueued:
    case Slot::kRunningWoken:
    case Slot::kDone: break;
  }
}

void Scheduler::remove(TaskId id) {
  std::unique_lock lock(mutex_);
  if (id >= tasks_.size()) return;
  // Marked first: a worker finishing a step of it does not queue it again, so the wait below
  // ends even while the workers are never idle.
  tasks_[id].removed = true;
  std::erase(ready_, id);
  if (tasks_[id].slot == Slot::kQueued) tasks_[id].slot = Slot::kDone;
  step_done_.wait(lock, [&] {
    const Slot slot = tasks_[id].slot;
    return workers_.empty() || (slot != Slot::kRunning && slot != Slot::kRunningWoken);
  });
  tasks_[id].slot = Slot::kDone;
  tasks_[id].task = nullptr;
}

void Scheduler::stop() {
  // All asked first, so that they end together rather than one after the other.
  for (auto& w : workers_) w.request_stop();
  for (auto& w : workers_) w.stop();
  {
    std::lock_guard lock(mutex_);
    workers_.clear();
  }
  step_done_.notify_all();
}

std::size_t Scheduler::queue_depth() const {
  std::lock_guard lock(mutex_);
  return ready_.size();
}

void Scheduler::enqueue(TaskId id) {
  Entry& e = tasks_[id];
  e.slot = Slot::kQueued;
  e.since = std::chrono::steady_clock::now();
  ready_.push_back(id);  // to the back: other cameras get their turn first
  cv_.notify_one();
}

SchedulerHealth Scheduler::health(SteadyTime now, double stuck_after_s) const {
  SchedulerHealth h;
  std::lock_guard lock(mutex_);
  for (const Entry& e : tasks_) {
    const double age = std::max(0.0, std::chrono::duration<double>(now - e.since).count());
    if (e.slot == Slot::kRunning || e.slot == Slot::kRunningWoken) {
      h.longest_step_s = std::max(h.longest_step_s, age);
    } else if (e.slot == Slot::kQueued) {
      h.oldest_wait_s = std::max(h.oldest_wait_s, age);
    }
  }
  if (h.longest_step_s > stuck_after_s || h.oldest_wait_s > stuck_after_s) {
    h.state = SchedulerState::kStuck;
  }
  return h;
}

void Scheduler::run_worker(const std::stop_token& stop) {
  std::unique_lock lock(mutex_);
  while (true) {
    cv_.wait(lock, stop, [this] { return !ready_.empty(); });
    // Queued steps are left: the cameras are stopping.
    if (stop.stop_requested()) return;
    const TaskId id = ready_.front();
    ready_.pop_front();
    tasks_[id].slot = Slot::kRunning;
    tasks_[id].since = std::chrono::steady_clock::now();
    Task* task = tasks_[id].task;
    lock.unlock();
    StepOutcome outcome = StepOutcome::kDone;
    try {
      outcome = task->step();
    } catch (const std::exception& e) {
      // A worker must survive any one camera's failure; that camera stops being scheduled.
      spdlog::error("camera task failed and was taken out of the schedule: {}", e.what());
    }
    lock.lock();
    Entry& e = tasks_[id];
    const bool woken = e.slot == Slot::kRunningWoken;
    if (e.removed) {
      e.slot = Slot::kDone;
      step_done_.notify_all();
      continue;
    }
    if (outcome == StepOutcome::kDone) {
      e.slot = Slot::kDone;
    } else if (outcome == StepOutcome::kMore || woken) {
      enqueue(id);
    } else {
      e.slot = Slot::kIdle;
    }
  }
}

}  // namespace vigie::engine
