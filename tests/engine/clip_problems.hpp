#pragma once
// What the end-to-end tests check of a clip's alerts against its truth, in words.

#include <algorithm>
#include <string>
#include <vector>

#include "eval/match.hpp"
#include "eval/truth.hpp"

namespace vigie::engine {

/// What is wrong with a clip's alerts: each truth no alert detected and each false alert,
/// with type and time; empty when every truth is detected and no alert is false.
inline std::string clip_problems(const std::vector<eval::TruthEvent>& truth,
                                 const std::vector<eval::ClipAlert>& alerts) {
  std::string out;
  const eval::ClipMatch match = eval::match_clip(truth, alerts);
  for (std::size_t t = 0; t < truth.size(); ++t) {
    const bool detected =
        std::any_of(match.matched.begin(), match.matched.end(),
                    [&](const eval::MatchPair& p) { return p.truth == static_cast<int>(t); });
    if (!detected) {
      out += std::string(to_string(truth[t].type)) + " from " + std::to_string(truth[t].start_s) +
             " s not detected. ";
    }
  }
  for (std::size_t a = 0; a < alerts.size(); ++a) {
    if (match.alert_outcomes[a] == eval::AlertOutcome::kFalse) {
      out += "A false " + std::string(to_string(alerts[a].type)) + " alert at " +
             std::to_string(alerts[a].start_s) + " s. ";
    }
  }
  return out;
}

}  // namespace vigie::engine
