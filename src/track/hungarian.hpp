#pragma once
// Minimum-cost assignment (the Hungarian / Kuhn-Munkres algorithm, O(n^2 m)), used by the
// tracker to pair predicted tracks with measurements. Pure function, thread-safe.

#include <cstddef>
#include <limits>
#include <span>
#include <vector>

namespace vigie::track {

/// A cost that marks a pair as forbidden (outside the gates). Any non-finite cost
/// (infinity or NaN) is treated the same way.
inline constexpr double kForbidden = std::numeric_limits<double>::infinity();

/// Marks a row left without a column in the result of solve_assignment().
inline constexpr int kUnassigned = -1;

/// Assigns rows to columns of a `rows` x `cols` row-major cost matrix (rectangular allowed).
/// Among all assignments it first maximises the number of admissible (finite-cost) pairs,
/// then minimises their total cost. Returns, for each row, its column or kUnassigned; a
/// forbidden pair is never returned. Requires cost.size() == rows * cols (an empty result
/// otherwise).
std::vector<int> solve_assignment(std::span<const double> cost, std::size_t rows, std::size_t cols);

}  // namespace vigie::track
