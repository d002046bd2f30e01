#include "eval/match.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

namespace vigie::eval {

ClipAlert clip_alert(const Alert& raised, double end_s) {
  return {raised.type, raised.start_s, end_s, raised.region, raised.score, raised.model_hash};
}

Status MatchOptions::validate() const {
  if (!std::isfinite(grace_s) || grace_s < 0) {
    return invalid_argument(fmt::format("grace_s: {} must be >= 0 seconds", grace_s));
  }
  if (!std::isfinite(min_overlap) || min_overlap < 0 || min_overlap >= 1) {
    return invalid_argument(fmt::format("min_overlap: {} must be in [0, 1)", min_overlap));
  }
  return Status::ok();
}

bool compatible(const TruthEvent& truth, const ClipAlert& alert, const MatchOptions& options) {
  if (truth.type != alert.type) return false;
  if (alert.start_s < truth.start_s || alert.start_s > truth.end_s + options.grace_s) return false;
  const double inter = (truth.region & alert.region).area();
  if (!(inter > 0)) return false;
  const double smaller = std::min(truth.region.area(), alert.region.area());
  return inter / smaller >= options.min_overlap;
}

namespace {

// Kuhn's augmenting paths over a small bipartite graph. Edges are tried in the caller's
// order, free truths first, so that without conflicts each alert keeps the earliest truth
// it can have, and a later alert only displaces an earlier one when that detects one more
// truth.
class Matcher {
 public:
  Matcher(const std::vector<std::vector<int>>& edges, std::size_t truths)
      : edges_(edges), owner_(truths, -1) {}

  void add(int alert) {
    for (int t : edges_[alert]) {
      if (owner_[t] < 0) {
        owner_[t] = alert;
        return;
      }
    }
    std::vector<bool> visited(owner_.size(), false);
    augment(alert, visited);
  }

  [[nodiscard]] const std::vector<int>& owner() const { return owner_; }

 private:
  bool augment(int alert, std::vector<bool>& visited) {
    for (int t : edges_[alert]) {
      if (visited[t]) continue;
      visited[t] = true;
      if (owner_[t] < 0 || augment(owner_[t], visited)) {
        owner_[t] = alert;
        return true;
      }
    }
    return false;
  }

  const std::vector<std::vector<int>>& edges_;
  std::vector<int> owner_;  // per truth: the alert detecting it, or -1
};

}  // namespace

ClipMatch match_clip(const std::vector<TruthEvent>& truths, const std::vector<ClipAlert>& alerts,
                     const MatchOptions& options) {
  const auto n_truths = truths.size();
  const auto n_alerts = alerts.size();

  std::vector<int> truth_order(n_truths);
  std::iota(truth_order.begin(), truth_order.end(), 0);
  std::stable_sort(truth_order.begin(), truth_order.end(),
                   [&](int a, int b) { return truths[a].start_s < truths[b].start_s; });
  std::vector<int> alert_order(n_alerts);
  std::iota(alert_order.begin(), alert_order.end(), 0);
  std::stable_sort(alert_order.begin(), alert_order.end(),
                   [&](int a, int b) { return alerts[a].start_s < alerts[b].start_s; });

  std::vector<std::vector<int>> edges(n_alerts);
  for (int a : alert_order) {
    for (int t : truth_order) {
      if (compatible(truths[t], alerts[a], options)) edges[a].push_back(t);
    }
  }

  Matcher matcher(edges, n_truths);
  for (int a : alert_order) {
    if (!edges[a].empty()) matcher.add(a);
  }

  ClipMatch m;
  m.alert_outcomes.assign(n_alerts, AlertOutcome::kFalse);
  m.alert_truth.assign(n_alerts, std::nullopt);
  m.time_to_detect_s.assign(n_truths, std::nullopt);
  for (std::size_t t = 0; t < n_truths; ++t) {
    if (matcher.owner()[t] >= 0) m.alert_truth[matcher.owner()[t]] = static_cast<int>(t);
  }
  // Every alert left with an edge can only reach detected truths (otherwise the matching
  // would not be maximum), so it is a duplicate of the earliest of them.
  for (std::size_t a = 0; a < n_alerts; ++a) {
    if (!m.alert_truth[a] && !edges[a].empty()) m.alert_truth[a] = edges[a].front();
  }
  // The earliest alert on each truth is its detection; which one the matching picked does not
  // change any count, but time to detect must use the first.
  std::vector<int> first(n_truths, -1);
  for (int a : alert_order) {
    if (!m.alert_truth[a]) continue;
    const int t = *m.alert_truth[a];
    if (first[t] < 0) {
      first[t] = a;
      m.alert_outcomes[a] = AlertOutcome::kDetection;
      m.time_to_detect_s[t] = std::max(0.0, alerts[a].start_s - truths[t].start_s);
    } else {
      m.alert_outcomes[a] = AlertOutcome::kDuplicate;
    }
  }
  for (std::size_t a = 0; a < n_alerts; ++a) {
    if (m.alert_truth[a]) m.matched.push_back({*m.alert_truth[a], static_cast<int>(a)});
  }
  return m;
}

}  // namespace vigie::eval
