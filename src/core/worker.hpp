#pragma once
// Worker: the one way vigie runs a background loop. A named std::jthread whose body gets a
// std::stop_token; stop() asks the body to end and joins it, and so does the destructor, so
// a loop can never outlive the object it works on, and no class keeps its own "stopping"
// flag, wakes its own condition variable on stop, or joins by hand.
//
// A loop that sleeps waits in a way a stop interrupts at once:
//   - on a std::condition_variable_any, with the overloads that take the stop token
//     (`cv.wait(lock, stop, pred)`, `cv.wait_until(lock, stop, t, pred)`): they return when
//     the predicate holds or stop is requested, and a stop wakes the wait itself (the standard
//     library registers a std::stop_callback that notifies);
//   - with nothing to wait for but time, in sleep_for() below.
// What a loop must still do after a stop (drain a queue, say goodbye to a broker) it does
// after its wait returns: stop_requested() says the loop should end, not that work is lost.
//
// Declare a Worker after every member its body uses: members are destroyed in reverse
// order, so the thread is joined before what it reads goes away.

#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <thread>

namespace vigie {

class Worker {
 public:
  using Body = std::function<void(std::stop_token)>;

  /// No thread: stop() and the destructor do nothing (a member started later, by assignment).
  Worker() = default;
  /// Starts a thread named `name` (at most 15 characters are kept; see name_this_thread) that
  /// runs `body` once. The body returns when its stop token says so, or when it is done.
  Worker(std::string name, Body body);
  /// Requests stop and joins. Must not run on the worker's own thread.
  ~Worker() = default;  // std::jthread's destructor requests stop, then joins
  Worker(Worker&&) noexcept = default;
  /// Stops and joins the thread this worker held, if any, then takes `other`'s.
  Worker& operator=(Worker&&) noexcept = default;
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  /// Asks the body to end, without waiting. Thread-safe; idempotent.
  void request_stop() { thread_.request_stop(); }
  /// request_stop(), then waits for the body to return. Idempotent; not from the worker's
  /// own thread, and from one thread at a time.
  void stop();
  /// Whether stop was requested (false when there is no thread). Thread-safe.
  [[nodiscard]] bool stop_requested() const { return thread_.get_stop_token().stop_requested(); }
  /// Whether a thread was started and not yet joined.
  [[nodiscard]] bool running() const { return thread_.joinable(); }

 private:
  std::jthread thread_;
};

/// Sleeps for `duration`, or less when stop is requested meanwhile. False when stop was
/// requested (before or during the sleep): the loop should end.
bool sleep_for(const std::stop_token& stop, std::chrono::duration<double> duration);

}  // namespace vigie
