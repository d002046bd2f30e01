#pragma once
// Whether a camera still sees what it saw: a view moved (the camera was knocked or turned),
// covered (a cloth, a bag, paint), defocused or blinded (a lamp, a laser) makes every rule
// blind or wrong, and is a health state of the camera, not an alert.
//
// Cheap by design: once a second of video it reduces the analysis image to a signature
// (gradient magnitudes, a grid of cells' contrast-normalised edge energy, the luma's mean,
// spread and saturated share) and compares it with a reference learnt at the start. A change
// of light scales the gradients with the luma, so normalised energy and the gradients'
// correlation are unmoved by it; a crowd hides some cells but leaves the others where they
// were; a moved, covered, blurred or blinded view changes all of them, in its own way:
//
//   moved:   the gradients correlate with the reference shifted (phase correlation) or not
//            at all, while the edge energy stays;
//   covered: the luma is nearly uniform (its spread collapses);
//   blurred: the edge energy collapses while the luma's spread stays;
//   blinded: most pixels are saturated, or the image is much brighter with its edges gone.
//
// A verdict holds only once `sustain_checks` checks in a row agree (a bus passing in front
// is not a moved camera), and the view is back once as many checks in a row find it as it
// was. Per-camera state: update() is called by the camera's analysis, one frame at a time.

#include <optional>
#include <string>
#include <string_view>

#include <opencv2/core.hpp>

namespace vigie::perceive {

/// Why a view is no longer the one the analysis knows.
enum class ViewProblem { kNone, kMoved, kCovered, kBlurred, kBlinded };
std::string_view to_string(ViewProblem problem);

/// Immutable parameters; the defaults were set on the rendered scenes (docs/ingest.md).
struct ViewCheckConfig {
  double interval_s = 1.0;             ///< video seconds between two checks
  int reference_checks = 3;            ///< checks averaged into the first reference
  int sustain_checks = 3;              ///< checks in a row that must agree to change the state
  double min_shift_px = 4.0;           ///< analysis pixels: a smaller shift is vibration
  double moved_match_below = 0.6;      ///< share of cells still matching under which a shift counts
  double lost_match_below = 0.25;      ///< share of cells matching under which the view is another
  double cell_match_ncc = 0.4;         ///< a cell matches when its gradients correlate this well
  double covered_spread_below = 0.3;   ///< luma spread / reference's: nearly uniform
  double blurred_energy_below = 0.45;  ///< median cell edge energy / reference's
  double blinded_saturated_above = 0.5;  ///< share of pixels at 245 or more
  double adapt_rate = 0.02;              ///< share of a healthy check blended into the reference
};

/// What update() found; `changed` once a problem has held `sustain_checks` checks.
struct ViewState {
  bool changed = false;
  ViewProblem problem = ViewProblem::kNone;  ///< while changed
  double since_s = 0;                        ///< video time of the first check that saw it
  std::string detail;                        ///< the measures behind the verdict
};

class ViewCheck {
 public:
  explicit ViewCheck(ViewCheckConfig config = {});
  /// `bgr`: the analysis image (analysis masks already blanked); `ignore`: 255 where masked
  /// (may be empty). Checks at most once per interval; returns the state.
  const ViewState& update(const cv::Mat& bgr, const cv::Mat& ignore, double t_s);
  /// The view as it is now becomes the reference (a supervisor accepted it).
  void accept();
  [[nodiscard]] const ViewState& state() const { return state_; }

 private:
  struct Signature {
    cv::Mat gradient;  ///< CV_32F magnitude, analysis size
    cv::Mat energy;    ///< CV_32F, one per cell: mean gradient / (mean luma + 20)
    double mean = 0;
    double spread = 0;
    double saturated = 0;
  };
  Signature signature(const cv::Mat& bgr) const;
  ViewProblem judge(const Signature& now, std::string& detail) const;

  ViewCheckConfig config_;
  cv::Mat valid_cells_;  ///< CV_8U per cell: not masked
  std::optional<Signature> reference_;
  int reference_count_ = 0;
  std::optional<Signature> last_;
  double next_check_s_ = -1;
  ViewProblem pending_ = ViewProblem::kNone;
  int pending_count_ = 0;
  double pending_since_s_ = 0;
  ViewState state_;
};

}  // namespace vigie::perceive
