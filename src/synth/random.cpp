#include "synth/random.hpp"

#include <cmath>
#include <numbers>

namespace vigie::synth {

double Rng::normal(double mean, double sigma) {
  // std::normal_distribution is implementation-defined; Box-Muller is the same everywhere.
  const double u1 = std::max(uniform(0.0, 1.0), 1e-300);
  const double u2 = uniform(0.0, 1.0);
  return mean + sigma * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

}  // namespace vigie::synth
