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
  const double luma =
      cv::mean(bgr)[0] * 0.114 + cv::mean(bgr)[1] * 0.587 + cv::mean(bgr)[2] * 0.299;
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
  cv::Mat i, b;
  cv::cvtColor(frame, i, cv::COLOR_BGR2GRAY);
  cv::cvtColor(background, b, cv::COLOR_BGR2GRAY);
  i.convertTo(i, CV_32F);
  b.convertTo(b, CV_32F);
  const cv::Size window(7, 7);
  cv::Mat mi, mb, mii, mbb, mib;
  cv::boxFilter(i, mi, CV_32F, window);
  cv::boxFilter(b, mb, CV_32F, window);
  cv::boxFilter(i.mul(i), mii, CV_32F, window);
  cv::boxFilter(b.mul(b), mbb, CV_32F, window);
  cv::boxFilter(i.mul(b), mib, CV_32F, window);
  const cv::Mat var_i = mii - mi.mul(mi);
  const cv::Mat var_b = mbb - mb.mul(mb);
  const cv::Mat cov = mib - mi.mul(mb);
  cv::Mat denom;
  cv::sqrt(cv::max(var_i.mul(var_b), 1e-3), denom);
  const cv::Mat ncc = cov / denom;
  // Textured: the pattern survives the change of light. Where the light itself varies within
  // the window (the mottled edge of a cloud's shadow) the correlation drops, but the ratio of
  // frame to background stays smooth; an object puts its own detail in the ratio (6 % rms,
  // as structure_changed() asks of a whole shape).
  const cv::Mat textured = (var_b > 25.0) & (var_i > 25.0);
  const cv::Mat ratio_px = (i + 1.0) / (b + 1.0);
  cv::Mat ratio_smooth, detail;
  cv::GaussianBlur(ratio_px, ratio_smooth, {0, 0}, 3.0);
  cv::divide(ratio_px - ratio_smooth, ratio_smooth, detail);
  cv::boxFilter(detail.mul(detail), detail, CV_32F, window);
  const cv::Mat smooth_light = detail < 0.06 * 0.06;
  cv::Mat same_pattern = textured & ((ncc > 0.6) | smooth_light);
  // Flat: a moderate change of level that keeps the colour's hue (a shadow or a lamp's pool
  // on plain ground); a coloured coat on grey paving changes the hue.
  const cv::Mat ratio = (mi + 1.0) / (mb + 1.0);
  cv::Mat fc, bc;
  frame.convertTo(fc, CV_32FC3);
  background.convertTo(bc, CV_32FC3);
  std::vector<cv::Mat> f_ch, b_ch;
  cv::split(fc, f_ch);
  cv::split(bc, b_ch);
  const cv::Mat f_sum = f_ch[0] + f_ch[1] + f_ch[2] + 1.0;
  const cv::Mat b_sum = b_ch[0] + b_ch[1] + b_ch[2] + 1.0;
  cv::Mat hue_shift = cv::Mat::zeros(frame.size(), CV_32F);
  for (int c = 0; c < 3; ++c)
    hue_shift = cv::max(hue_shift, cv::abs(f_ch[c] / f_sum - b_ch[c] / b_sum));
  const cv::Mat flat = ~textured & (ratio > 0.55) & (ratio < 1.8) & (hue_shift < 0.03);
  return same_pattern | flat;
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
    const cv::Mat light = lighting_only(frame, out.slow_background);
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
  cv::medianBlur(slow_fg, slow_clean, 5);
  // MOG2 takes for a shadow whatever is darker by up to half with the same hue: dark grey or
  // black clothes on grey paving. The light test tells them apart (the paving's pattern is
  // gone under them), and the area measures count them; without them, a crowd standing
  // still read as holed wherever dark clothes were, as much as a third fewer people.
  cv::medianBlur(slow_fg | slow_dark, out.slow_area, 5);
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
    moved(r) &= ~lighting_only(frame(r), fast_image()(r));
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
