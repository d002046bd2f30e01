#pragma once
// The leak measure: on clips whose truth gives every person's box in every frame (the
// synthetic scenes), how many of those boxes the images leaving the node would show. The
// images are those an alert's evidence would hold (every frame of its clip window, the
// snapshot among them) and the camera wall's frame once a second; each is checked through the
// same geometry the node renders with (evidence::privacy_plan, evidence::hidden_pixels).

#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core/types.hpp>

#include "core/alert.hpp"
#include "evidence/evidence.hpp"
#include "evidence/person_history.hpp"
#include "eval/truth.hpp"

namespace vigie::eval {

/// A person box left too clear in one image.
struct PrivacyLeak {
  double t_s = 0.0;       ///< the frame's time
  std::string image;      ///< "wall", or "evidence of <alert id>"
  cv::Rect2d box;         ///< the person's box, source pixels
  double clear_share = 0; ///< share of its pixels left clear
};

/// One clip's measure.
struct PrivacyCheck {
  std::string clip;
  int wall_frames = 0;      ///< wall images checked (one a second)
  int evidence_frames = 0;  ///< evidence frames checked, over every alert
  int person_boxes = 0;     ///< person boxes checked in all of them
  /// Mean share of the wall images' pixels hidden: what fail-safe masking costs the operator.
  double wall_hidden_share = 0.0;
  /// The same over every evidence frame checked (0 when none).
  double evidence_hidden_share = 0.0;
  std::vector<PrivacyLeak> leaks;
};

/// What to check a clip with.
struct PrivacyCheckInput {
  std::string clip;
  const TruthClip* truth = nullptr;                    ///< with `persons`
  const std::vector<evidence::TimedBoxes>* history = nullptr;  ///< every analysed frame's
  std::vector<Alert> alerts;                           ///< as raised on the clip
  evidence::EvidenceOptions evidence;                  ///< window, margins, tolerances
  /// A box with more than this share of its pixels clear leaks.
  double max_clear_share = 0.10;
};

/// Checks one clip; a clip whose truth has no per-frame persons checks nothing.
PrivacyCheck check_privacy(const PrivacyCheckInput& input);

/// Per clip and in total, with every leak listed, for `vigie eval --json`.
nlohmann::ordered_json privacy_to_json(const std::vector<PrivacyCheck>& checks);
/// A short text summary: one line per clip with boxes checked, then each leak.
std::string format_privacy(const std::vector<PrivacyCheck>& checks, std::size_t max_leaks = 20);

}  // namespace vigie::eval
