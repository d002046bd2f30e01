#include "ingest/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace vigie::ingest {

Backoff::Backoff(double min_s, double max_s, std::uint64_t seed)
    : min_s_(std::max(0.0, min_s)), max_s_(std::max(min_s_, max_s)), rng_(seed) {}

double Backoff::ceiling() const {
  // Cap the exponent: 2^60 seconds is already far beyond any max_s.
  const double growth = std::ldexp(1.0, std::min(failures_, 60));
  return std::min(max_s_, min_s_ * growth);
}

double Backoff::next() {
  const double high = ceiling();
  const double low = std::max(min_s_, high / 2.0);
  ++failures_;
  if (high <= low) return high;
  std::uniform_real_distribution<double> jitter(low, high);
  return jitter(rng_);
}

}  // namespace vigie::ingest
