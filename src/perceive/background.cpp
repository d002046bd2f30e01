#include "perceive/background.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

/// MOG2 promotes a new mode to background once the old one's weight falls below the
/// background ratio (0.9): after about ln(0.9)/ln(1 - rate) frames, i.e. 0.105/rate.
double rate_for_absorb_time(double seconds, double fps) {
  const double frames = std::max(1.0, seconds * fps);
  return std::clamp(0.105 / frames, 1e-5, 1.0);
}

cv::Ptr<cv::BackgroundSubtractorMOG2> make_mog2(const BackgroundConfig& c, int history) {
  auto m = cv::createBackgroundSubtractorMOG2(history, c.var_threshold, c.remove_shadows);
  m->setShadowThreshold(0.5);  // darker by up to 50 %, same chromaticity: a shadow
  m->setNMixtures(4);
  return m;
}

// The light test's windows: 7 × 7 for the local statistics; the ratio's smooth part is a
// Gaussian of sigma 3 (25 taps, OpenCV's size for float images), then averaged over 7 × 7.
constexpr int kWindow = 7;
constexpr double kWindowArea = kWindow * kWindow;
constexpr double kRatioSigma = 3.0;
/// How far a pixel's light decision looks: the Gaussian's reach and the window after it.
constexpr int kReach = 12 + kWindow / 2;
/// Marks, while deciding, a textured pixel whose correlation is low: its ratio decides.
constexpr uchar kNeedsSmoothness = 1;

}  // namespace

DualBackground::DualBackground(const BackgroundConfig& config, double fps)
    : config_(config),
      fps_(fps),
      fast_rate_(rate_for_absorb_time(config.fast_absorb_s, fps)),
      slow_rate_(rate_for_absorb_time(config.slow_absorb_s, fps)),
      fast_(make_mog2(config, static_cast<int>(1.0 / fast_rate_))),
      slow_(make_mog2(config, static_cast<int>(1.0 / slow_rate_))),
      kernel_(cv::getStructuringElement(cv::MORPH_ELLIPSE, {3, 3})) {}

cv::Mat DualBackground::compensate_gain(const cv::Mat& bgr) {
  // Slow, global brightness drift (dusk, auto-exposure) is removed by scaling each frame to
  // a reference mean luma that itself follows slowly; local changes are left alone.
  const cv::Scalar mean = cv::mean(bgr);
  const double luma = mean[0] * 0.114 + mean[1] * 0.587 + mean[2] * 0.299;
  if (reference_luma_ < 0) reference_luma_ = luma;
  // The reference follows about as slowly as the slow model learns, so that both models see
  // a steady brightness while daylight drifts.
  reference_luma_ += (luma - reference_luma_) * std::min(1.0, 1.0 / (fps_ * config_.slow_absorb_s));
  if (luma < 1.0) return bgr;
  const double gain = std::clamp(reference_luma_ / luma, 0.5, 2.0);
  if (std::abs(gain - 1.0) < 0.02) return bgr;
  cv::Mat out;
  bgr.convertTo(out, -1, gain);
  return out;
}

cv::Mat DualBackground::slow_background() const {
  cv::Mat image;
  slow_->getBackgroundImage(image);
  return image;
}

cv::Mat DualBackground::fast_background() const {
  cv::Mat image;
  fast_->getBackgroundImage(image);
  return image;
}

cv::Mat lighting_only(const cv::Mat& frame, const cv::Mat& background) {
  LightTest test;
  return test.run(frame, background);
}

const cv::Mat& LightTest::run(const cv::Mat& frame, const cv::Mat& background,
                              const cv::Mat& candidates) {
  result_.create(frame.size(), CV_8U);
  cv::Rect area({0, 0}, frame.size());
  if (!candidates.empty()) {
    // A pixel's answer depends on nothing farther than kReach: the rest of the image changes
    // no candidate's answer (the edges of the image itself are where they were).
    const cv::Rect held = cv::boundingRect(candidates);
    area = held.empty() ? cv::Rect()
                        : (held - cv::Point(kReach, kReach) + cv::Size(2 * kReach, 2 * kReach)) &
                              area;
    if (area.size() != frame.size()) result_.setTo(0);
    if (area.empty()) return result_;
  }
  cv::Mat out = result_(area);
  decide(frame(area), background(area), candidates.empty() ? cv::Mat() : candidates(area), out);
  return result_;
}

void LightTest::decide(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& candidates,
                       cv::Mat& out) {
  // In textured places the local pattern of the frame still matches the background's; in
  // flat ones, a moderate change of level that keeps the colour's hue (a shadow or a lamp's
  // pool on plain ground; a coloured coat on grey paving changes the hue). Every pixel's
  // figures are computed in the same single-precision operations as image-wide arithmetic
  // would, from window sums that are exact integers.
  cv::cvtColor(frame, gray_i_, cv::COLOR_BGR2GRAY);
  cv::cvtColor(background, gray_b_, cv::COLOR_BGR2GRAY);
  const cv::Size window(kWindow, kWindow);
  const cv::Point anchor(-1, -1);
  cv::boxFilter(gray_i_, sum_i_, CV_32F, window, anchor, false);
  cv::boxFilter(gray_b_, sum_b_, CV_32F, window, anchor, false);
  cv::sqrBoxFilter(gray_i_, sum_ii_, CV_32F, window, anchor, false);
  cv::sqrBoxFilter(gray_b_, sum_bb_, CV_32F, window, anchor, false);
  cv::multiply(gray_i_, gray_b_, product_, 1.0, CV_32F);
  cv::boxFilter(product_, sum_ib_, CV_32F, window, anchor, false);
  const auto mean = [](float sum) { return static_cast<float>(sum * (1.0 / kWindowArea)); };
  bool any_needs_smoothness = false;
  for (int y = 0; y < frame.rows; ++y) {
    const float* si = sum_i_.ptr<float>(y);
    const float* sb = sum_b_.ptr<float>(y);
    const float* sii = sum_ii_.ptr<float>(y);
    const float* sbb = sum_bb_.ptr<float>(y);
    const float* sib = sum_ib_.ptr<float>(y);
    const uchar* f = frame.ptr<uchar>(y);
    const uchar* b = background.ptr<uchar>(y);
    const uchar* c = candidates.empty() ? nullptr : candidates.ptr<uchar>(y);
    uchar* o = out.ptr<uchar>(y);
    for (int x = 0; x < frame.cols; ++x) {
      if (c != nullptr && c[x] == 0) {
        o[x] = 0;
        continue;
      }
      const float mi = mean(si[x]);
      const float mb = mean(sb[x]);
      const float var_i = mean(sii[x]) - mi * mi;
      const float var_b = mean(sbb[x]) - mb * mb;
      if (var_b > 25.0f && var_i > 25.0f) {
        // Textured: the pattern survives the change of light (normalised correlation).
        const float cov = mean(sib[x]) - mi * mb;
        const float ncc = cov / std::sqrt(std::max(var_i * var_b, 1e-3f));
        if (ncc > 0.6f) {
          o[x] = 255;
        } else {
          o[x] = kNeedsSmoothness;
          any_needs_smoothness = true;
        }
        continue;
      }
      const float ratio = (mi + 1.0f) / (mb + 1.0f);
      if (!(ratio > 0.55f && ratio < 1.8f)) {
        o[x] = 0;
        continue;
      }
      const uchar* fp = f + 3 * x;
      const uchar* bp = b + 3 * x;
      const float f_sum = static_cast<float>(fp[0]) + fp[1] + fp[2] + 1.0f;
      const float b_sum = static_cast<float>(bp[0]) + bp[1] + bp[2] + 1.0f;
      float hue_shift = 0.0f;
      for (int ch = 0; ch < 3; ++ch) {
        hue_shift = std::max(hue_shift, std::abs(fp[ch] / f_sum - bp[ch] / b_sum));
      }
      o[x] = hue_shift < 0.03f ? 255 : 0;
    }
  }
  if (!any_needs_smoothness) return;
  // Where the light itself varies within the window (the mottled edge of a cloud's shadow)
  // the correlation drops, but the ratio of frame to background stays smooth; an object
  // puts its own detail in the ratio (6 % rms, as structure_changed() asks of a whole shape).
  ratio_.create(frame.size(), CV_32F);
  for (int y = 0; y < frame.rows; ++y) {
    const uchar* gi = gray_i_.ptr<uchar>(y);
    const uchar* gb = gray_b_.ptr<uchar>(y);
    float* r = ratio_.ptr<float>(y);
    for (int x = 0; x < frame.cols; ++x) {
      r[x] = (static_cast<float>(gi[x]) + 1.0f) / (static_cast<float>(gb[x]) + 1.0f);
    }
  }
  cv::GaussianBlur(ratio_, ratio_smooth_, {0, 0}, kRatioSigma);
  detail_.create(frame.size(), CV_32F);
  for (int y = 0; y < frame.rows; ++y) {
    const float* r = ratio_.ptr<float>(y);
    const float* sm = ratio_smooth_.ptr<float>(y);
    float* d = detail_.ptr<float>(y);
    for (int x = 0; x < frame.cols; ++x) {
      const float relative = (r[x] - sm[x]) / sm[x];
      d[x] = relative * relative;
    }
  }
  cv::boxFilter(detail_, detail_mean_, CV_32F, window);
  constexpr float kMaxDetail = static_cast<float>(0.06 * 0.06);
  for (int y = 0; y < frame.rows; ++y) {
    const float* dm = detail_mean_.ptr<float>(y);
    uchar* o = out.ptr<uchar>(y);
    for (int x = 0; x < frame.cols; ++x) {
      if (o[x] == kNeedsSmoothness) o[x] = dm[x] < kMaxDetail ? 255 : 0;
    }
  }
}

bool structure_changed(const cv::Mat& frame, const cv::Mat& background, const cv::Rect& box,
                       double max_correlation) {
  // The box itself, with a pixel of margin: more context would let the unchanged ground
  // around a small object outweigh the object.
  const cv::Rect r = cv::Rect(box.x - 1, box.y - 1, box.width + 2, box.height + 2) &
                     cv::Rect(0, 0, frame.cols, frame.rows);
  if (r.area() < 16 || background.empty()) return true;
  cv::Mat a, b;
  cv::cvtColor(frame(r), a, cv::COLOR_BGR2GRAY);
  cv::cvtColor(background(r), b, cv::COLOR_BGR2GRAY);
  cv::Mat result;
  cv::matchTemplate(a, b, result, cv::TM_CCOEFF_NORMED);
  const double correlation = result.at<float>(0, 0);
  // A flat patch has no pattern to compare; then only a large change of level counts.
  cv::Scalar mean_a, std_a, mean_b, std_b;
  cv::meanStdDev(a, mean_a, std_a);
  cv::meanStdDev(b, mean_b, std_b);
  if (std_a[0] < 4 && std_b[0] < 4) return std::abs(mean_a[0] - mean_b[0]) > 30;
  if (correlation > max_correlation) return false;
  // Light that varies across the box (the soft edge of a cloud's shadow, a lamp's fall-off)
  // lowers the correlation, but the ratio of frame to background stays smooth; an object
  // puts its own detail in the ratio.
  cv::Mat ratio, smooth;
  a.convertTo(a, CV_32F, 1.0, 1.0);
  b.convertTo(b, CV_32F, 1.0, 1.0);
  cv::divide(a, b, ratio);
  cv::GaussianBlur(ratio, smooth, {0, 0}, std::max(2.0, std::min(r.width, r.height) / 3.0));
  cv::Scalar residual_mean, residual_std;
  cv::meanStdDev(ratio - smooth, residual_mean, residual_std);
  return residual_std[0] > 0.06;
}

bool is_ghost(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& mask,
              const cv::Rect& box) {
  const cv::Rect r = cv::Rect(box.x - 2, box.y - 2, box.width + 4, box.height + 4) &
                     cv::Rect(0, 0, frame.cols, frame.rows);
  if (r.area() < 16 || background.empty()) return false;
  cv::Mat outline, inner;
  cv::dilate(mask(r), outline, cv::Mat());
  cv::erode(mask(r), inner, cv::Mat());
  outline &= ~inner;
  if (cv::countNonZero(outline) < 8) return false;
  auto edge_energy = [&](const cv::Mat& image) {
    cv::Mat gray, gx, gy, magnitude;
    cv::cvtColor(image(r), gray, cv::COLOR_BGR2GRAY);
    cv::Sobel(gray, gx, CV_32F, 1, 0);
    cv::Sobel(gray, gy, CV_32F, 0, 1);
    cv::magnitude(gx, gy, magnitude);
    return cv::mean(magnitude, outline)[0];
  };
  if (edge_energy(background) > 2.0 * edge_energy(frame)) return true;
  // A ghost is the ground coming back: inside the shape the frame looks like the ground just
  // around it, and only the background differs. An object differs from its surroundings.
  cv::Mat shape = mask(r) != 0, ring;
  cv::dilate(shape, ring, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  ring &= ~shape;
  if (cv::countNonZero(ring) < 8 || cv::countNonZero(shape) < 4) return false;
  const cv::Scalar inside = cv::mean(frame(r), shape);
  const cv::Scalar around = cv::mean(frame(r), ring);
  const cv::Scalar learned = cv::mean(background(r), shape);
  double to_ground = 0, to_background = 0;
  for (int c = 0; c < 3; ++c) {
    to_ground = std::max(to_ground, std::abs(inside[c] - around[c]));
    to_background = std::max(to_background, std::abs(inside[c] - learned[c]));
  }
  // In levels of 0-255: the frame inside within 8 of its surroundings (noise, the ground's
  // texture), the learned background at least four times farther.
  return to_ground < 8.0 && to_background > 4.0 * to_ground;
}

void majority_5x5(const cv::Mat& mask, cv::Mat& out, cv::Mat& sum) {
  // 25 × 255 fits 16 bits; the median of 25 binary values is set when 13 are, so the sum
  // exceeds 12 × 255. medianBlur replicates the border, so does the box sum.
  cv::boxFilter(mask, sum, CV_16U, {5, 5}, {-1, -1}, false, cv::BORDER_REPLICATE);
  cv::compare(sum, 12 * 255, out, cv::CMP_GT);
}

bool uniform_change(const cv::Mat& frame, const cv::Mat& background, const cv::Mat& changed) {
  // Light changes everything by about the same factor; a fire, a crowd or smoke in front
  // of the camera changes a large area by very different ones.
  cv::Mat f, b;
  cv::cvtColor(frame, f, cv::COLOR_BGR2GRAY);
  cv::cvtColor(background, b, cv::COLOR_BGR2GRAY);
  std::vector<float> ratios;
  for (int y = 0; y < f.rows; y += 2) {
    const uchar* fp = f.ptr<uchar>(y);
    const uchar* bp = b.ptr<uchar>(y);
    const uchar* cp = changed.ptr<uchar>(y);
    for (int x = 0; x < f.cols; x += 2) {
      if (cp[x]) ratios.push_back((fp[x] + 1.0f) / (bp[x] + 1.0f));
    }
  }
  if (ratios.size() < 16) return false;
  auto mid = ratios.begin() + static_cast<std::ptrdiff_t>(ratios.size() / 2);
  std::nth_element(ratios.begin(), mid, ratios.end());
  const float median = *mid;
  const auto close = std::count_if(ratios.begin(), ratios.end(), [&](float r) {
    return r > 0.85f * median && r < 1.15f * median;
  });
  return static_cast<double>(close) / static_cast<double>(ratios.size()) >= 0.6;
}

/// The frame from which the moving foreground is reported during the warm-up: the models
/// have then learnt two frames.
constexpr long kFirstMovingFrame = 2;

ForegroundMasks DualBackground::apply(const cv::Mat& bgr) {
  ForegroundMasks out;
  const cv::Mat frame = compensate_gain(bgr);
  ++frames_;
  // Right after a lighting change the fast model relearns quickly; the slow one pauses, so
  // a parcel left before the change is not forgotten.
  const double fast_rate = relearn_frames_ > 0 ? std::max(fast_rate_, 0.2) : fast_rate_;
  const double slow_rate = relearn_frames_ > 0 ? 0.0 : slow_rate_;
  const bool warming = static_cast<double>(frames_) < std::max(2.0, config_.warmup_s * fps_);
  cv::Mat fast_raw, slow_raw;
  fast_->apply(frame, fast_raw, warming ? -1 : fast_rate);
  slow_->apply(frame, slow_raw, warming ? -1 : slow_rate);
  if (relearn_frames_ > 0) --relearn_frames_;

  cv::Mat fast_fg = fast_raw == 255;  // 127 marks shadows
  cv::Mat slow_fg = slow_raw == 255;
  cv::Mat slow_dark = slow_raw == 127;
  // The slow model is minutes behind the light (clouds, sun, lamps); what differs from it
  // only by light is not foreground.
  if (!warming && cv::countNonZero(slow_raw) > 0) {
    out.slow_background = slow_background();
    // Only the slow model's candidates need an answer.
    const cv::Mat& light = slow_light_.run(frame, out.slow_background, slow_raw);
    slow_fg &= ~light;
    slow_dark &= ~light;
  }
  // The fast background image, read from the model at most once per frame and handed on.
  const auto fast_image = [&]() -> const cv::Mat& {
    if (out.fast_background.empty()) out.fast_background = fast_background();
    return out.fast_background;
  };
  out.moving_fraction = cv::countNonZero(fast_fg) / static_cast<double>(fast_fg.total());
  out.warming_up = warming;
  if (!warming && out.moving_fraction > config_.illumination_change_fraction &&
      uniform_change(frame, fast_image(), fast_fg)) {
    out.illumination_change = true;
    relearn_frames_ = static_cast<int>(std::ceil(fps_ * 1.5));
  }
  // While warming up, the models hold the mean of the frames seen since the start: what
  // differs from it moved since the camera started (someone standing in view who falls), and
  // is reported once two frames are learnt. Nothing is static yet, and a change too large to
  // be objects is taken for the camera settling its exposure.
  const bool report_moving = warming && frames_ > kFirstMovingFrame &&
                             out.moving_fraction <= config_.illumination_change_fraction;
  if (report_moving) {
    cv::morphologyEx(fast_fg, out.moving_area, cv::MORPH_OPEN, kernel_);
    cv::morphologyEx(out.moving_area, out.moving, cv::MORPH_CLOSE, kernel_, {-1, -1}, 2);
  }
  if (warming || out.illumination_change) {
    if (!report_moving) {
      out.moving = cv::Mat::zeros(bgr.size(), CV_8U);
      out.moving_area = cv::Mat::zeros(bgr.size(), CV_8U);
    }
    out.static_fg = cv::Mat::zeros(bgr.size(), CV_8U);
    out.static_strict = out.static_fg;
    out.slow_area = cv::Mat::zeros(bgr.size(), CV_8U);
    return out;
  }
  cv::Mat fast_open;
  cv::morphologyEx(fast_fg, fast_open, cv::MORPH_OPEN, kernel_);
  // Closing joins a person's parts into one blob for tracking; area measures use fast_open.
  cv::morphologyEx(fast_open, out.moving, cv::MORPH_CLOSE, kernel_, {-1, -1}, 2);
  out.moving_area = fast_open;
  // The slow model's foreground keeps a sprinkle of single pixels where compression noise
  // exceeds its tight variances; a median removes them and keeps solid shapes.
  cv::Mat slow_clean;
  majority_5x5(slow_fg, slow_clean, majority_sum_);
  // MOG2 takes for a shadow whatever is darker by up to half with the same hue: dark grey or
  // black clothes on grey paving. The light test tells them apart (the paving's pattern is
  // gone under them), and the area measures count them; without them, a crowd standing
  // still read as holed wherever dark clothes were, as much as a third fewer people.
  majority_5x5(slow_fg | slow_dark, out.slow_area, majority_sum_);
  // Under a passing cloud the fast model flags all the light changed, a parcel or a body
  // lying still included, and would cut them out of the static map just when the light
  // changes over them; where the frame differs from the fast background only by light,
  // nothing moved.
  cv::Mat moved = fast_fg;
  const cv::Mat held = slow_clean & fast_fg;
  if (cv::countNonZero(held) > 0) {
    // The held pixels' box, 8 px larger on every side: the light test looks at 7 × 7 windows.
    const cv::Rect r = (cv::boundingRect(held) - cv::Point(8, 8) + cv::Size(16, 16)) &
                       cv::Rect({0, 0}, frame.size());
    moved = fast_fg.clone();
    moved(r) &= ~fast_light_.run(frame(r), fast_image()(r), fast_fg(r));
  }
  out.static_fg = slow_clean & ~moved;
  cv::morphologyEx(out.static_fg, out.static_fg, cv::MORPH_OPEN, kernel_);
  if (moved.data == fast_fg.data) {
    out.static_strict = out.static_fg;  // nothing was exempted: the same map
  } else {
    out.static_strict = slow_clean & ~fast_fg;
    cv::morphologyEx(out.static_strict, out.static_strict, cv::MORPH_OPEN, kernel_);
  }
  return out;
}

}  // namespace vigie::perceive
