#include "govern/hash_pool.hpp"

#include <algorithm>
#include <chrono>

#include "core/process_usage.hpp"

namespace vigie::govern {

HashPool::HashPool(HashPoolOptions options) : options_(std::move(options)) {
  const int n = std::max(1, options_.threads);
  threads_.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    threads_.emplace_back("vigie-hash", [this](const std::stop_token& stop) { serve(stop); });
  }
}

HashPool::~HashPool() {
  // Asked together, so that they end together; the stop wakes their waits by itself.
  for (auto& t : threads_) t.request_stop();
  threads_.clear();  // joins
}

Status HashPool::run(const std::function<void()>& work) {
  Job job{&work};
  std::unique_lock lock(mutex_);
  // Counted with the running jobs, so that callers arriving together before a free thread
  // picked the first of them up are not refused.
  if (queue_.size() + static_cast<std::size_t>(stats_.running) >=
      threads_.size() + options_.queue) {
    ++stats_.refused;
    return unavailable("too many password checks at once: try again shortly");
  }
  queue_.push_back(&job);
  work_ready_.notify_one();
  const auto wait = std::chrono::duration<double>(options_.max_wait_s);
  if (!job_changed_.wait_for(lock, wait, [&] { return job.state != JobState::kQueued; })) {
    queue_.erase(std::find(queue_.begin(), queue_.end(), &job));
    ++stats_.refused;
    return unavailable("password checks are busy: try again shortly");
  }
  // Started: `work` refers to the caller's data, so wait for its end whatever it takes.
  job_changed_.wait(lock, [&] { return job.state == JobState::kDone; });
  return Status::ok();
}

HashPoolStats HashPool::stats() const {
  std::lock_guard lock(mutex_);
  HashPoolStats out = stats_;
  out.queued = queue_.size();
  return out;
}

void HashPool::serve(const std::stop_token& stop) {
  // Hashing yields the CPU to analysis threads whenever both want it.
  make_this_thread_nicer(10);
  std::unique_lock lock(mutex_);
  for (;;) {
    if (!work_ready_.wait(lock, stop, [&] { return !queue_.empty(); })) return;
    Job* job = queue_.front();
    queue_.pop_front();
    job->state = JobState::kRunning;
    ++stats_.running;
    stats_.peak = std::max(stats_.peak, stats_.running);
    job_changed_.notify_all();
    lock.unlock();
    if (options_.before_each) options_.before_each();
    (*job->work)();
    lock.lock();
    --stats_.running;
    ++stats_.done;
    job->state = JobState::kDone;
    job_changed_.notify_all();
  }
}

}  // namespace vigie::govern
