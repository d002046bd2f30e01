#pragma once
// Seeded randomness. Every random choice of a scene comes from these, so a seed fully
// determines the output; nothing reads the time or addresses.

#include <cstdint>
#include <random>

namespace vigie::synth {

/// The scene's random source: a 64-bit Mersenne twister with small helpers.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) {
    return lo + (hi - lo) * static_cast<double>(engine_() >> 11) * 0x1.0p-53;
  }
  /// Uniform integer in [lo, hi].
  int integer(int lo, int hi) {
    return lo + static_cast<int>(engine_() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  /// Normal deviate (Box-Muller), so results do not depend on the standard library.
  double normal(double mean, double sigma);
  /// A fresh seed for a sub-stream.
  std::uint64_t fork() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

/// Stateless 64-bit hash (SplitMix64 finaliser), for per-frame values that must be the
/// same whichever frame is rendered first.
constexpr std::uint64_t hash64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// hash64 mapped to [0, 1).
constexpr double hash_unit(std::uint64_t a, std::uint64_t b = 0) {
  return static_cast<double>(hash64(a ^ hash64(b)) >> 11) * 0x1.0p-53;
}

}  // namespace vigie::synth
