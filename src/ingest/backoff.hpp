#pragma once
// Reconnection delays: exponential growth with jitter, bounded by [min_s, max_s].

#include <cstdint>
#include <random>

namespace vigie::ingest {

/// The n-th failure in a row waits a random delay in [max(min, b/2), b] where
/// b = min(max_s, min_s * 2^n): the ceiling doubles, the jitter spreads cameras that failed
/// together. reset() after a healthy live period starts again from min_s.
/// Not thread-safe: owned by one source's I/O thread.
class Backoff {
 public:
  Backoff(double min_s, double max_s, std::uint64_t seed);

  /// The delay before the next attempt, in seconds; advances the failure count.
  double next();
  /// Back to the first delay.
  void reset() { failures_ = 0; }
  /// Consecutive failures since the last reset.
  [[nodiscard]] int failures() const { return failures_; }
  /// Upper bound of the delay that next() would return now.
  [[nodiscard]] double ceiling() const;

 private:
  double min_s_;
  double max_s_;
  int failures_ = 0;
  std::mt19937_64 rng_;
};

}  // namespace vigie::ingest
