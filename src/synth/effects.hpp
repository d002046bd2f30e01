#pragma once
// Everything that changes in the picture without being a person: lighting (slow drift, a
// sudden change, cloud shadows drifting over the ground), swaying foliage, a flickering
// street lamp, a blinking blue beacon, a lit advertising panel, sensor noise, and the fire
// with its smoke. The distractors exist to fool fire, abandoned-object and intrusion
// detectors, so they are drawn as close to their real look as cheaply possible.

#include <cstdint>
#include <optional>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "core/geometry.hpp"
#include "synth/camera_model.hpp"
#include "synth/random.hpp"
#include "synth/scenario.hpp"

namespace vigie::synth {

/// A fire at a ground point, starting at `start_s` and growing.
struct FireSpec {
  Point ground;
  double base_z = 0.0;  ///< height of the burning surface (0.9 for a bin)
  double start_s = 0.0;
};

struct EffectsSpec {
  double light_step_s = -1.0;    ///< time of a sudden illumination change; negative: none
  double light_step_gain = 0.7;  ///< brightness factor after the change
  std::optional<FireSpec> fire;
};

/// Applies a tamper with the camera to a finished frame, in place (scenario.hpp).
void apply_view_tamper(cv::Mat& bgr, ViewTamper tamper);

class Effects {
 public:
  Effects(const CameraModel& camera, std::uint64_t seed, EffectsSpec spec);

  /// Tree crown, swaying (drawn before lighting, it is lit by the sun).
  void draw_foliage(cv::Mat& bgr, double t) const;
  /// Grey smoke puffs of the fire (before lighting).
  void draw_smoke(cv::Mat& bgr, double t) const;
  /// Multiplies by the lighting (drift, step, clouds) and adds sensor noise, in place.
  void apply_lighting(cv::Mat& bgr, int frame, double t, bool noise, bool lighting = true) const;
  /// Light sources: lamp, beacon, panel and flames (after lighting).
  void draw_emissive(cv::Mat& bgr, int frame, double t, bool lights = true) const;

  /// Box of flames and visible smoke at time t; empty before the fire.
  [[nodiscard]] cv::Rect2d fire_box(double t) const;
  /// Global brightness factor at time t (drift and step, without clouds).
  [[nodiscard]] double global_gain(double t) const;

 private:
  struct Puff {
    double birth;
    double dx;     // lateral drift, m/s
    double rise;   // m/s
    double size;   // final radius, m
    double shade;  // grey level
  };
  struct Flame {
    double dx;  // offset from the centre, fraction of the fire width
    double freq;
    double phase;
    double height;  // fraction of the flame height
  };
  [[nodiscard]] double fire_size(double t) const;
  [[nodiscard]] std::vector<std::pair<cv::Point2d, double>> puffs_at(
      double t, std::vector<double>* alpha) const;

  const CameraModel& camera_;
  EffectsSpec spec_;
  std::uint64_t seed_;
  double drift_phase_;
  // cloud shadows: a tileable low-frequency field sampled at ground coordinates
  cv::Mat cloud_;                // CV_32F, tileable
  cv::Mat cell_ground_;          // CV_32FC2: ground (or facade) coordinates of each lighting cell
  cv::Mat noise_;                // CV_8SC3, larger than the frame, sampled at a per-frame offset
  std::vector<cv::Mat> panels_;  // advertising panel contents, warped into place (frame size)
  cv::Mat panel_mask_;
  cv::Rect panel_roi_;
  std::vector<cv::Point2d> leaves_;  // crown blob offsets in metres (x, z)
  std::vector<double> leaf_r_;
  std::vector<cv::Scalar> leaf_c_;
  std::vector<Puff> puffs_;
  std::vector<Flame> flames_;
};

/// Adds `patch * gain` (a precomputed glow) centred at c, saturating.
void add_glow(cv::Mat& bgr, cv::Point2d c, double radius, cv::Scalar colour);

}  // namespace vigie::synth
