#pragma once
// Time comes from an injected clock so that rules, retention and timeouts can be
// tested without sleeping.

#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <mutex>

namespace vigie {

using SteadyTime = std::chrono::steady_clock::time_point;
using Seconds = std::chrono::duration<double>;

/// Source of the current time. Implementations are thread-safe.
class Clock {
 public:
  virtual ~Clock() = default;
  /// Monotonic time, for intervals and timeouts.
  [[nodiscard]] virtual SteadyTime now() const = 0;
  /// Wall-clock time, for records shown to people.
  [[nodiscard]] virtual std::chrono::system_clock::time_point wall_now() const = 0;
};

/// The real clocks of the machine.
class SystemClock final : public Clock {
 public:
  [[nodiscard]] SteadyTime now() const override { return std::chrono::steady_clock::now(); }
  [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override {
    return std::chrono::system_clock::now();
  }
  /// A process-wide instance.
  static const SystemClock& instance();
};

/// A clock that only moves when told to, for tests.
class ManualClock final : public Clock {
 public:
  [[nodiscard]] SteadyTime now() const override;
  [[nodiscard]] std::chrono::system_clock::time_point wall_now() const override;
  void advance(Seconds by);

 private:
  mutable std::mutex mutex_;
  SteadyTime steady_{};
  std::chrono::system_clock::time_point wall_{std::chrono::system_clock::time_point{} +
                                              std::chrono::hours(24 * 365 * 56)};
};

/// Milliseconds since the Unix epoch: how records store wall-clock times.
inline std::int64_t unix_ms(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

/// Seconds between two steady times, as a double.
inline double seconds_between(SteadyTime from, SteadyTime to) {
  return std::chrono::duration_cast<Seconds>(to - from).count();
}

}  // namespace vigie
