#include "core/worker.hpp"

#include <condition_variable>
#include <mutex>

#include "core/process_usage.hpp"

namespace vigie {

Worker::Worker(std::string name, Body body)
    : thread_([name = std::move(name), body = std::move(body)](std::stop_token stop) {
        name_this_thread(name);
        body(std::move(stop));
      }) {}

void Worker::stop() {
  thread_.request_stop();
  if (thread_.joinable()) thread_.join();
}

bool sleep_for(const std::stop_token& stop, std::chrono::duration<double> duration) {
  if (duration.count() <= 0) return !stop.stop_requested();  // pacing often asks for none
  // A private mutex and condition: only the stop request (through the stop callback that
  // condition_variable_any registers) or the deadline ends this wait.
  std::mutex mutex;
  std::condition_variable_any cv;
  std::unique_lock lock(mutex);
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(duration);
  cv.wait_until(lock, stop, deadline, [] { return false; });
  return !stop.stop_requested();
}

}  // namespace vigie
