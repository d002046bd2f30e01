#pragma once
// Foreground from a pair of background models that learn at different speeds.
//
// The fast model absorbs anything that stops moving within a few seconds; the slow model
// keeps it as foreground for a minute or more. Moving things are foreground in both;
// a thing that was left and stays still is foreground in the slow model only, which is
// the static-foreground map abandoned-object detection starts from.

#include <memory>

#include <opencv2/core.hpp>
#include <opencv2/video/background_segm.hpp>

namespace vigie::perceive {

/// Immutable parameters, shared by every camera that uses them.
struct BackgroundConfig {
  double fast_absorb_s = 3.0;   ///< a still object joins the fast background after about this
  double slow_absorb_s = 90.0;  ///< ... and the slow background after about this
  double var_threshold = 20.0;  ///< MOG2 squared Mahalanobis distance for foreground
  bool remove_shadows = true;   ///< MOG2 shadow detection; shadow pixels are not foreground
  /// Share of the image changing at once above which the change is taken for lighting
  /// (a cloud, a lamp, the camera's gain), not for objects.
  double illumination_change_fraction = 0.35;
  /// Until the models have seen this, only the moving foreground is reported (from the
  /// third frame: what moved since the start), and no static map or lighting change.
  double warmup_s = 2.0;
};

/// What one frame produced. Masks are CV_8U, 255 = set, at analysis size.
struct ForegroundMasks {
  cv::Mat moving;     ///< foreground of the fast model, cleaned (shadows and speckle removed)
  /// The same before the closing that joins a person's parts into one blob: closing also
  /// fills the gaps between people walking side by side, which areas must not count.
  cv::Mat moving_area;
  /// Foreground in the slow model, and background in the fast one or differing from it
  /// only by light: what stopped and stays, a cloud's shadow passing over it or not.
  cv::Mat static_fg;
  /// Foreground in the slow model and background in the fast one, light or not: the area
  /// measures' gate (see CameraAnalysis::process). Shares static_fg's pixels when the two
  /// are the same.
  cv::Mat static_strict;
  /// The slow model's foreground, with what it took for shadow, lighting removed and cleaned
  /// of single pixels: solid over a crowd standing still, dark clothes included, where the
  /// static map is holed by the fast model's flicker.
  cv::Mat slow_area;
  /// The slow and fast models' background images, when this frame needed them (empty
  /// otherwise); reuse them rather than asking the models again.
  cv::Mat slow_background;
  cv::Mat fast_background;
  double moving_fraction = 0.0;
  bool illumination_change = false;  ///< this frame's change was global; masks are empty
  bool warming_up = false;  ///< only `moving` and `moving_area` may be set this frame
};

/// True when `box` (analysis pixels) of `frame` holds something else than the background
/// there, rather than the same texture under other light: a shadow, a cloud, a reflection
/// or a lamp changes brightness but keeps the pattern (high normalised correlation), an
/// object replaces it.
bool structure_changed(const cv::Mat& frame, const cv::Mat& background, const cv::Rect& box,
                       double max_correlation = 0.75);

/// Pixels whose change from `background` is explained by light alone: in textured places the
/// local pattern still matches (normalised correlation over a small window), in flat places
/// the brightness ratio stays moderate and the colour keeps its hue. CV_8U, 255 = lighting.
cv::Mat lighting_only(const cv::Mat& frame, const cv::Mat& background);

/// lighting_only() with its buffers kept from one call to the next: it runs on every analysed
/// frame, and a dozen image-sized temporaries per call cost more than the arithmetic.
/// Not thread-safe: one per camera.
class LightTest {
 public:
  /// The same decision as lighting_only(frame, background). With `candidates` (CV_8U, the
  /// frame's size), only its set pixels are decided and the others are 0; the work is then
  /// confined to the candidates' neighbourhood, with the same answer as over the whole image.
  /// The result is valid until the next call.
  const cv::Mat& run(const cv::Mat& frame, const cv::Mat& background,
                     const cv::Mat& candidates = cv::Mat());

 private:
  void decide(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& candidates,
              cv::Mat& out);

  cv::Mat result_;
  cv::Mat gray_i_, gray_b_;            // CV_8U
  cv::Mat sum_i_, sum_b_;              // CV_32F window sums (exact integers)
  cv::Mat sum_ii_, sum_bb_, sum_ib_;   // CV_32F window sums of products (exact integers)
  cv::Mat product_;                    // CV_32F i * b
  cv::Mat ratio_, ratio_smooth_, detail_, detail_mean_;  // CV_32F
};

/// The 5 × 5 median of a mask whose pixels are 0 or 255, the same as cv::medianBlur(mask, out,
/// 5) with its replicated border: a pixel is set when at least 13 of the 25 around it are.
/// Counted with a box sum, several times faster than a median; `sum` is a buffer for it.
void majority_5x5(const cv::Mat& mask, cv::Mat& out, cv::Mat& sum);

/// True when the `changed` pixels of `frame` differ from `background` by about one common
/// brightness factor, as a change of light does (a fire or a crowd does not).
bool uniform_change(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& changed);

/// True when the static shape in `mask` within `box` (analysis pixels) is a ghost: something
/// the slow background had learned (a person standing there when the camera started) that
/// has since gone. An object's outline is in the frame, a ghost's in the background; and
/// where the ghost's outline is too soft to tell, the frame inside it looks like the ground
/// around it while the background does not.
bool is_ghost(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& mask,
              const cv::Rect& box);

/// Per-camera state. Not thread-safe: one camera's frames, in order, from one thread at a time.
class DualBackground {
 public:
  DualBackground(const BackgroundConfig& config, double fps);

  /// Feeds one analysis frame (BGR) and returns the masks for it.
  ForegroundMasks apply(const cv::Mat& bgr);

  /// The slow model's background image (BGR, analysis size); computed on each call.
  [[nodiscard]] cv::Mat slow_background() const;
  /// The fast model's background image (BGR, analysis size); computed on each call.
  [[nodiscard]] cv::Mat fast_background() const;

 private:
  cv::Mat compensate_gain(const cv::Mat& bgr);

  BackgroundConfig config_;
  double fps_;
  double fast_rate_;
  double slow_rate_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> fast_;
  cv::Ptr<cv::BackgroundSubtractorMOG2> slow_;
  cv::Mat kernel_;
  cv::Mat majority_sum_;  ///< majority_5x5's box sums, kept from frame to frame
  LightTest slow_light_;
  LightTest fast_light_;
  long frames_ = 0;
  int relearn_frames_ = 0;  ///< frames left of fast relearning after a lighting change
  double reference_luma_ = -1.0;
};

}  // namespace vigie::perceive
