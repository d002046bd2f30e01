#include "track/hungarian.hpp"

#include <algorithm>
#include <cmath>

namespace vigie::track {

std::vector<int> solve_assignment(std::span<const double> cost, std::size_t rows,
                                  std::size_t cols) {
  if (cost.size() != rows * cols) return {};
  std::vector<int> result(rows, kUnassigned);
  if (rows == 0 || cols == 0) return result;

  // The potential-based algorithm below needs n <= m, so solve the transpose when there are
  // more rows than columns.
  const bool transposed = rows > cols;
  const std::size_t n = transposed ? cols : rows;
  const std::size_t m = transposed ? rows : cols;
  auto at = [&](std::size_t i, std::size_t j) {
    return transposed ? cost[j * cols + i] : cost[i * cols + j];
  };

  // Forbidden pairs get a finite penalty larger than any difference between sums of n
  // admissible costs, so the optimum uses as few of them as possible; they are dropped after.
  double max_abs = 0.0;
  bool any_finite = false;
  for (double c : cost) {
    if (std::isfinite(c)) {
      max_abs = std::max(max_abs, std::abs(c));
      any_finite = true;
    }
  }
  if (!any_finite) return result;
  const double big = (2.0 * max_abs + 1.0) * static_cast<double>(n + 1);
  std::vector<double> a(n * m);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < m; ++j) {
      const double c = at(i, j);
      a[i * m + j] = std::isfinite(c) ? c : big;
    }
  }

  // Row potentials u, column potentials v, p[j] = row matched to column j (1-based, 0 = none);
  // column 0 is a virtual column used to grow each augmenting path.
  const double inf = std::numeric_limits<double>::infinity();
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0);
  std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<char> used(m + 1, 0);
    do {
      used[j0] = 1;
      const std::size_t i0 = p[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a[(i0 - 1) * m + (j - 1)] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }

  for (std::size_t j = 1; j <= m; ++j) {
    if (p[j] == 0) continue;
    const std::size_t i = p[j] - 1;
    const std::size_t c = j - 1;
    const std::size_t row = transposed ? c : i;
    const std::size_t col = transposed ? i : c;
    if (std::isfinite(cost[row * cols + col])) result[row] = static_cast<int>(col);
  }
  return result;
}

}  // namespace vigie::track
