#include "core/clock.hpp"

namespace vigie {

const SystemClock& SystemClock::instance() {
  static const SystemClock clock;
  return clock;
}

SteadyTime ManualClock::now() const {
  std::lock_guard lock(mutex_);
  return steady_;
}

std::chrono::system_clock::time_point ManualClock::wall_now() const {
  std::lock_guard lock(mutex_);
  return wall_;
}

void ManualClock::advance(Seconds by) {
  std::lock_guard lock(mutex_);
  const auto d = std::chrono::duration_cast<std::chrono::nanoseconds>(by);
  steady_ += d;
  wall_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
}

}  // namespace vigie
