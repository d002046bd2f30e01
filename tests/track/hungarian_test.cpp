#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "track/hungarian.hpp"

namespace vigie::track {
namespace {

constexpr double F = kForbidden;

double total(const std::vector<double>& cost, std::size_t cols, const std::vector<int>& a) {
  double sum = 0;
  for (std::size_t r = 0; r < a.size(); ++r) {
    if (a[r] != kUnassigned) sum += cost[r * cols + static_cast<std::size_t>(a[r])];
  }
  return sum;
}

TEST(HungarianTest, SquareKnownOptimum) {
  const std::vector<double> cost = {4, 1, 3,  //
                                    2, 0, 5,  //
                                    3, 2, 2};
  const auto a = solve_assignment(cost, 3, 3);
  EXPECT_EQ(a, (std::vector<int>{1, 0, 2}));
  EXPECT_DOUBLE_EQ(total(cost, 3, a), 5.0);
}

TEST(HungarianTest, ClassicFourByFour) {
  // A textbook matrix whose optimum (140) is not found greedily.
  const std::vector<double> cost = {82, 83, 69, 92,  //
                                    77, 37, 49, 92,  //
                                    11, 69, 5,  86,  //
                                    8,  9,  98, 23};
  const auto a = solve_assignment(cost, 4, 4);
  EXPECT_EQ(a, (std::vector<int>{2, 1, 0, 3}));
  EXPECT_DOUBLE_EQ(total(cost, 4, a), 140.0);
}

TEST(HungarianTest, MoreColumnsThanRows) {
  const std::vector<double> cost = {9, 2, 7, 1,  //
                                    6, 4, 3, 8};
  const auto a = solve_assignment(cost, 2, 4);
  EXPECT_EQ(a, (std::vector<int>{3, 2}));
}

TEST(HungarianTest, MoreRowsThanColumns) {
  const std::vector<double> cost = {9, 6,  //
                                    2, 4,  //
                                    7, 3,  //
                                    1, 8};
  const auto a = solve_assignment(cost, 4, 2);
  EXPECT_EQ(a, (std::vector<int>{kUnassigned, kUnassigned, 1, 0}));
}

TEST(HungarianTest, ForbiddenPairsAreNeverReturned) {
  const std::vector<double> cost = {1, F,  //
                                    F, F};
  EXPECT_EQ(solve_assignment(cost, 2, 2), (std::vector<int>{0, kUnassigned}));
  const std::vector<double> nan_cost = {std::numeric_limits<double>::quiet_NaN(), 5};
  EXPECT_EQ(solve_assignment(nan_cost, 1, 2), (std::vector<int>{1}));
  const std::vector<double> all_forbidden = {F, F, F, F, F, F};
  EXPECT_EQ(solve_assignment(all_forbidden, 2, 3), (std::vector<int>{kUnassigned, kUnassigned}));
}

TEST(HungarianTest, PrefersMoreAdmissiblePairsThenLowerCost) {
  // Taking (0,0) alone costs 1 but leaves row 1 unmatched; two admissible pairs win.
  const std::vector<double> cost = {1, 2,  //
                                    3, F};
  EXPECT_EQ(solve_assignment(cost, 2, 2), (std::vector<int>{1, 0}));
}

TEST(HungarianTest, EmptyAndMismatchedInputs) {
  EXPECT_TRUE(solve_assignment({}, 0, 0).empty());
  EXPECT_EQ(solve_assignment({}, 2, 0), (std::vector<int>{kUnassigned, kUnassigned}));
  const std::vector<double> three = {1, 2, 3};
  EXPECT_TRUE(solve_assignment(three, 2, 2).empty());
}

// Exhaustive check on small random matrices with gated entries: same number of admissible
// pairs as the best, and the same minimal cost among those.
TEST(HungarianTest, MatchesBruteForceOnRandomGatedMatrices) {
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 300; ++trial) {
    const std::size_t rows = 1 + rng() % 5;
    const std::size_t cols = 1 + rng() % 5;
    std::vector<double> cost(rows * cols);
    for (double& c : cost) c = rng() % 4 == 0 ? F : static_cast<double>(rng() % 100) / 10.0;

    // Brute force over permutations of the larger side.
    const std::size_t k = std::max(rows, cols);
    std::vector<std::size_t> perm(k);
    std::iota(perm.begin(), perm.end(), 0);
    std::size_t best_pairs = 0;
    double best_cost = 0;
    do {
      std::size_t pairs = 0;
      double sum = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        const std::size_t c = perm[r];
        if (c < cols && std::isfinite(cost[r * cols + c])) {
          ++pairs;
          sum += cost[r * cols + c];
        }
      }
      if (pairs > best_pairs || (pairs == best_pairs && sum < best_cost)) {
        best_pairs = pairs;
        best_cost = sum;
      }
    } while (std::next_permutation(perm.begin(), perm.end()));

    const auto a = solve_assignment(cost, rows, cols);
    ASSERT_EQ(a.size(), rows);
    std::size_t pairs = 0;
    std::vector<bool> used(cols, false);
    for (std::size_t r = 0; r < rows; ++r) {
      if (a[r] == kUnassigned) continue;
      const auto c = static_cast<std::size_t>(a[r]);
      ASSERT_LT(c, cols);
      ASSERT_FALSE(used[c]) << "column used twice";
      used[c] = true;
      ASSERT_TRUE(std::isfinite(cost[r * cols + c]));
      ++pairs;
    }
    EXPECT_EQ(pairs, best_pairs) << "trial " << trial;
    EXPECT_NEAR(total(cost, cols, a), best_cost, 1e-9) << "trial " << trial;
  }
}

}  // namespace
}  // namespace vigie::track
