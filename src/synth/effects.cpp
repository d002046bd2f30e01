#include "synth/effects.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

#include "synth/layout.hpp"

namespace vigie::synth {
namespace {

constexpr double kTwoPi = 2.0 * std::numbers::pi;
constexpr int kCell = 8;            // lighting is computed per 8x8 cell, then interpolated
constexpr int kNoiseMargin = 32;    // noise tile is this much larger than the frame
constexpr double kPuffEvery = 0.2;  // seconds between smoke puffs
constexpr double kPuffLife = 7.0;

double smoothstep(double e0, double e1, double x) {
  const double t = std::clamp((x - e0) / (e1 - e0), 0.0, 1.0);
  return t * t * (3 - 2 * t);
}

cv::Point fx(cv::Point2d p) {
  return {static_cast<int>(std::lround(p.x * 8)), static_cast<int>(std::lround(p.y * 8))};
}

// Blends a soft-edged disc of colour c with opacity alpha.
void blend_disc(cv::Mat& img, cv::Point2d centre, double r, double grey, double alpha) {
  const cv::Rect roi =
      cv::Rect(static_cast<int>(centre.x - r) - 1, static_cast<int>(centre.y - r) - 1,
               static_cast<int>(2 * r) + 3, static_cast<int>(2 * r) + 3) &
      cv::Rect(0, 0, img.cols, img.rows);
  const double inv_r2 = 1.0 / std::max(1e-6, r * r);
  for (int y = roi.y; y < roi.y + roi.height; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    for (int x = roi.x; x < roi.x + roi.width; ++x) {
      const double d2 =
          ((x - centre.x) * (x - centre.x) + (y - centre.y) * (y - centre.y)) * inv_r2;
      if (d2 >= 1.0) continue;
      const double a = alpha * (1.0 - d2) * (1.0 - d2);
      for (int c = 0; c < 3; ++c) {
        row[x][c] = static_cast<uchar>(row[x][c] + (grey - row[x][c]) * a + 0.5);
      }
    }
  }
}

}  // namespace

void add_glow(cv::Mat& bgr, cv::Point2d c, double radius, cv::Scalar colour) {
  const cv::Rect roi =
      cv::Rect(static_cast<int>(c.x - radius) - 1, static_cast<int>(c.y - radius) - 1,
               static_cast<int>(2 * radius) + 3, static_cast<int>(2 * radius) + 3) &
      cv::Rect(0, 0, bgr.cols, bgr.rows);
  const double inv_r = 1.0 / std::max(1e-6, radius);
  for (int y = roi.y; y < roi.y + roi.height; ++y) {
    auto* row = bgr.ptr<cv::Vec3b>(y);
    for (int x = roi.x; x < roi.x + roi.width; ++x) {
      const double d = std::hypot(x - c.x, y - c.y) * inv_r;
      if (d >= 1.0) continue;
      const double w = (1.0 - d) * (1.0 - d);
      for (int k = 0; k < 3; ++k) row[x][k] = cv::saturate_cast<uchar>(row[x][k] + colour[k] * w);
    }
  }
}

Effects::Effects(const CameraModel& camera, std::uint64_t seed, EffectsSpec spec)
    : camera_(camera), spec_(spec), seed_(seed) {
  Rng rng(seed);
  drift_phase_ = rng.uniform(0, kTwoPi);
  const cv::Size size = camera.image_size();

  // Cloud field: blurred white noise, made (nearly) tileable by blurring a 3x3 tiling.
  {
    const int n = 96;
    cv::Mat base(n, n, CV_32F);
    for (int y = 0; y < n; ++y)
      for (int x = 0; x < n; ++x) base.at<float>(y, x) = static_cast<float>(rng.uniform(0, 1));
    cv::Mat tiled;
    cv::repeat(base, 3, 3, tiled);
    cv::GaussianBlur(tiled, tiled, cv::Size(0, 0), 7.0);
    cloud_ = tiled(cv::Rect(n, n, n, n)).clone();
    double lo = 0, hi = 1;
    cv::minMaxLoc(cloud_, &lo, &hi);
    cloud_ = (cloud_ - lo) / std::max(1e-6, hi - lo);
  }
  const int cw = size.width / kCell + 2, ch = size.height / kCell + 2;
  cell_ground_.create(ch, cw, CV_32FC2);
  for (int y = 0; y < ch; ++y) {
    for (int x = 0; x < cw; ++x) {
      const cv::Point2d p(x * kCell, y * kCell);
      Point g = camera.ground_at(p);
      if (std::isnan(g.x) || g.y > layout::kFacadeY) {
        const cv::Point3d d = camera.ray(p);
        const double t = layout::kFacadeY / std::max(d.y, 1e-6);
        g = {d.x * t, layout::kFacadeY + std::max(0.0, camera.height_m() + d.z * t)};
      }
      cell_ground_.at<cv::Vec2f>(y, x) = {static_cast<float>(g.x), static_cast<float>(g.y)};
    }
  }

  noise_.create(size.height + kNoiseMargin, size.width + kNoiseMargin, CV_8SC3);
  for (int y = 0; y < noise_.rows; ++y) {
    auto* row = noise_.ptr<cv::Vec<schar, 3>>(y);
    for (int x = 0; x < noise_.cols; ++x) {
      const double common = rng.normal(0, 1.6);  // luminance noise, shared by the channels
      for (int c = 0; c < 3; ++c)
        row[x][c] =
            static_cast<schar>(std::clamp(std::lround(common + rng.normal(0, 1.2)), -12L, 12L));
    }
  }

  // Advertising panel: three warm, bright designs, warped onto the facade once.
  {
    const int pw = 320, ph = 96;
    const std::vector<cv::Point2f> src = {{0, 0}, {pw, 0}, {pw, ph}, {0, ph}};
    const double y = layout::kFacadeY - 0.05;
    std::vector<cv::Point2f> dst;
    for (const auto& [x, z] :
         std::vector<std::pair<double, double>>{{layout::kSignX0, layout::kSignZ1},
                                                {layout::kSignX1, layout::kSignZ1},
                                                {layout::kSignX1, layout::kSignZ0},
                                                {layout::kSignX0, layout::kSignZ0}}) {
      const cv::Point2d p = camera.project(x, y, z);
      dst.emplace_back(static_cast<float>(p.x), static_cast<float>(p.y));
    }
    const cv::Mat h = cv::getPerspectiveTransform(src, dst);
    panel_roi_ = cv::boundingRect(dst) & cv::Rect(0, 0, size.width, size.height);
    const std::vector<cv::Scalar> backgrounds = {{0, 140, 255}, {40, 40, 215}, {0, 205, 255}};
    const std::vector<cv::Scalar> inks = {{30, 230, 255}, {40, 230, 255}, {20, 20, 160}};
    for (size_t i = 0; i < backgrounds.size(); ++i) {
      cv::Mat content(ph, pw, CV_8UC3, backgrounds[i]);
      cv::circle(content, {50, 48}, 34, inks[i] * 0.8 + cv::Scalar(0, 0, 60), cv::FILLED,
                 cv::LINE_AA);
      for (int k = 0; k < 3; ++k) {
        const int len =
            120 + static_cast<int>(hash_unit(i * 7 + static_cast<size_t>(k), seed) * 100);
        cv::rectangle(content, cv::Rect(100, 18 + 24 * k, len, 14), inks[i], cv::FILLED);
      }
      cv::rectangle(content, cv::Rect(0, 0, pw, ph), cv::Scalar(220, 230, 240), 4);
      cv::Mat warped;
      cv::warpPerspective(content, warped, h, size, cv::INTER_LINEAR, cv::BORDER_CONSTANT);
      panels_.push_back(warped(panel_roi_).clone());
    }
    cv::Mat mask(ph, pw, CV_8U, cv::Scalar(255)), warped_mask;
    cv::warpPerspective(mask, warped_mask, h, size, cv::INTER_NEAREST, cv::BORDER_CONSTANT);
    panel_mask_ = warped_mask(panel_roi_).clone();
  }

  // Tree crown blobs.
  for (int i = 0; i < 22; ++i) {
    leaves_.emplace_back(rng.uniform(-2.0, 2.0), rng.uniform(-1.3, 1.8));
    leaf_r_.push_back(rng.uniform(0.55, 1.0));
    const double g = rng.uniform(0.7, 1.15);
    leaf_c_.emplace_back(30 * g, 95 * g + 15 * (leaves_.back().y > 0.5 ? 1 : 0), 45 * g);
  }
  // sort far-to-near by height so brighter upper blobs draw last
  for (int i = 0; i < 8; ++i)
    flames_.push_back({rng.uniform(-0.45, 0.45), rng.uniform(7, 14), rng.uniform(0, kTwoPi),
                       rng.uniform(0.5, 1.0)});
}

double Effects::global_gain(double t) const {
  double g = 1.0 + 0.05 * std::sin(kTwoPi * t / 37.0 + drift_phase_) +
             0.025 * std::sin(kTwoPi * t / 13.0 + 2 * drift_phase_);
  if (spec_.light_step_s >= 0) {
    g *= 1.0 + (spec_.light_step_gain - 1.0) *
                   smoothstep(spec_.light_step_s, spec_.light_step_s + 0.25, t);
  }
  return g;
}

void Effects::apply_lighting(cv::Mat& bgr, int frame, double t, bool noise, bool lighting) const {
  const double gain = lighting ? global_gain(t) : 1.0;
  // Cloud shadows drift with the wind over ground (and facade) coordinates.
  const double wind_x = 1.6 * t, wind_y = 0.5 * t;
  const double texel = 0.5;  // metres per cloud texel
  cv::Mat cells(cell_ground_.size(), CV_16U);
  const int n = cloud_.rows;
  for (int y = 0; y < cells.rows; ++y) {
    const auto* g = cell_ground_.ptr<cv::Vec2f>(y);
    auto* out = cells.ptr<std::uint16_t>(y);
    for (int x = 0; x < cells.cols; ++x) {
      const double u = (g[x][0] + wind_x) / texel, v = (g[x][1] + wind_y) / texel;
      const double fu = std::floor(u), fv = std::floor(v);
      const int iu = ((static_cast<int>(fu) % n) + n) % n,
                iv = ((static_cast<int>(fv) % n) + n) % n;
      const int iu1 = (iu + 1) % n, iv1 = (iv + 1) % n;
      const double au = u - fu, av = v - fv;
      const double c =
          (cloud_.at<float>(iv, iu) * (1 - au) + cloud_.at<float>(iv, iu1) * au) * (1 - av) +
          (cloud_.at<float>(iv1, iu) * (1 - au) + cloud_.at<float>(iv1, iu1) * au) * av;
      const double shadow = lighting ? 0.3 * smoothstep(0.5, 0.68, c) : 0.0;
      out[x] = static_cast<std::uint16_t>(std::lround(256.0 * gain * (1.0 - shadow)));
    }
  }
  cv::Mat full;
  const cv::Size big((cells.cols - 1) * kCell, (cells.rows - 1) * kCell);
  cv::resize(cells, full, big, 0, 0, cv::INTER_LINEAR);
  const std::uint64_t h = hash64(seed_ ^ hash64(static_cast<std::uint64_t>(frame) + 1));
  const int ox = static_cast<int>(h % kNoiseMargin),
            oy = static_cast<int>((h >> 16) % kNoiseMargin);
  for (int y = 0; y < bgr.rows; ++y) {
    std::uint8_t* px = bgr.ptr<std::uint8_t>(y);
    const std::uint16_t* g = full.ptr<std::uint16_t>(y);
    const schar* nz = noise_.ptr<schar>(y + oy) + 3 * ox;
    const int w = bgr.cols;
    if (noise) {
      for (int x = 0; x < w; ++x) {
        const int gx = g[x];
        for (int c = 0; c < 3; ++c) {
          const int v = ((px[3 * x + c] * gx) >> 8) + nz[3 * x + c];
          px[3 * x + c] = static_cast<std::uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
        }
      }
    } else {
      for (int x = 0; x < w; ++x) {
        const int gx = g[x];
        for (int c = 0; c < 3; ++c) {
          const int v = (px[3 * x + c] * gx) >> 8;
          px[3 * x + c] = static_cast<std::uint8_t>(v > 255 ? 255 : v);
        }
      }
    }
  }
}

void Effects::draw_foliage(cv::Mat& bgr, double t) const {
  const Point tree = layout::kTree;
  const double crown_z = 5.2;
  const double gust = 0.5 + 0.5 * std::sin(kTwoPi * t / 9.0 + drift_phase_);
  for (size_t i = 0; i < leaves_.size(); ++i) {
    const double z = leaves_[i].y;
    const double sway =
        (0.08 + 0.18 * gust) * (z + 2.0) / 3.8 *
        std::sin(kTwoPi * t / (2.3 + 0.1 * static_cast<double>(i % 5)) + static_cast<double>(i));
    const double x = tree.x + leaves_[i].x + sway;
    const cv::Point2d c = camera_.project(x, tree.y, crown_z + z);
    const double r = leaf_r_[i] * camera_.focal_px() / camera_.depth(x, tree.y, crown_z + z);
    cv::circle(bgr, fx(c), static_cast<int>(r * 8), leaf_c_[i], cv::FILLED, cv::LINE_AA, 3);
    // a lighter sunlit patch on the upper left of each blob
    cv::circle(bgr, fx(c + cv::Point2d(-r * 0.3, -r * 0.3)), static_cast<int>(r * 0.45 * 8),
               leaf_c_[i] * 1.25, cv::FILLED, cv::LINE_AA, 3);
  }
}

void Effects::draw_emissive(cv::Mat& bgr, int frame, double t, bool lights) const {
  // Advertising panel: steady, cycling designs with a short cross-fade.
  if (lights) {
    const double period = 6.0, fade = 0.8;
    const double cycle = t / period;
    const size_t a = static_cast<size_t>(std::floor(cycle)) % panels_.size();
    const size_t b = (a + 1) % panels_.size();
    const double local = (cycle - std::floor(cycle)) * period;
    cv::Mat roi = bgr(panel_roi_);
    if (local > period - fade) {
      cv::Mat mix;
      const double w = (local - (period - fade)) / fade;
      cv::addWeighted(panels_[a], 1.0 - w, panels_[b], w, 0.0, mix);
      mix.copyTo(roi, panel_mask_);
    } else {
      panels_[a].copyTo(roi, panel_mask_);
    }
  }
  // Street lamp: mostly steady, with bursts of flicker every few seconds.
  if (lights) {
    const double head_x = layout::kLamp.x - 0.6;
    const cv::Point2d c = camera_.project(head_x, layout::kLamp.y, layout::kLampHeight - 0.08);
    const double ppm =
        camera_.focal_px() / camera_.depth(head_x, layout::kLamp.y, layout::kLampHeight);
    const auto burst = static_cast<std::uint64_t>(std::floor(t / 2.0));
    double level = 1.0;
    if (hash_unit(burst, seed_ ^ 0x1a) < 0.45)
      level = 0.15 + 0.85 * hash_unit(static_cast<std::uint64_t>(frame), seed_ ^ 0x2b);
    cv::ellipse(bgr, fx(c),
                cv::Size(static_cast<int>(ppm * 0.25 * 8), static_cast<int>(ppm * 0.08 * 8)), 0, 0,
                360, cv::Scalar(150, 200, 220) + cv::Scalar(100, 55, 35) * level, cv::FILLED,
                cv::LINE_AA, 3);
    add_glow(bgr, c, ppm * 0.9, cv::Scalar(90, 140, 160) * level);
  }
  // Blue beacon: double flash every 0.8 s.
  if (lights) {
    const double ph = std::fmod(t, 0.8);
    const bool on = ph < 0.08 || (ph >= 0.16 && ph < 0.24);
    const double y = layout::kFacadeY - 0.1;
    const cv::Point2d c = camera_.project(layout::kBeacon.x, y, layout::kBeacon.y);
    const double ppm = camera_.focal_px() / camera_.depth(layout::kBeacon.x, y, layout::kBeacon.y);
    cv::circle(bgr, fx(c), static_cast<int>(ppm * 0.15 * 8),
               on ? cv::Scalar(255, 200, 140) : cv::Scalar(120, 60, 30), cv::FILLED, cv::LINE_AA,
               3);
    if (on) add_glow(bgr, c, ppm * 1.4, {230, 80, 10});
  }
  // Flames.
  const double size = fire_size(t);
  if (size > 0) {
    const FireSpec& f = *spec_.fire;
    const double height = 1.3 * size, width = 0.7 * (0.5 + 0.5 * size);
    const double ppm = camera_.pixels_per_metre(f.ground);
    const cv::Point2d base = camera_.project(f.ground.x, f.ground.y, f.base_z);
    add_glow(bgr, base - cv::Point2d(0, height * ppm * 0.4), height * ppm * 1.6, {10, 60, 140});
    const cv::Scalar colours[3] = {{10, 90, 240}, {40, 180, 255}, {170, 240, 255}};
    for (int layer = 0; layer < 3; ++layer) {
      const double shrink = 1.0 - 0.3 * layer;
      for (size_t i = 0; i < flames_.size(); ++i) {
        const Flame& fl = flames_[i];
        const double jitter = hash_unit(static_cast<std::uint64_t>(frame) * 31 + i, seed_ ^ 0x77);
        const double hgt = height * fl.height * shrink *
                           (0.75 + 0.18 * std::sin(fl.freq * t + fl.phase) + 0.12 * jitter);
        const double cx = base.x + fl.dx * width * ppm * shrink;
        const double half = width * ppm * 0.22 * shrink;
        const double tip_sway = std::sin(fl.freq * 0.7 * t + fl.phase) * half * 0.8;
        const cv::Point pts[5] = {
            fx({cx - half, base.y}), fx({cx - half * 0.7, base.y - hgt * ppm * 0.45}),
            fx({cx + tip_sway, base.y - hgt * ppm}),
            fx({cx + half * 0.7, base.y - hgt * ppm * 0.45}), fx({cx + half, base.y})};
        cv::fillConvexPoly(bgr, pts, 5, colours[layer], cv::LINE_AA, 3);
      }
    }
  }
}

double Effects::fire_size(double t) const {
  if (!spec_.fire || t < spec_.fire->start_s) return 0.0;
  return std::min(1.0, 0.25 + 0.75 * (t - spec_.fire->start_s) / 12.0);
}

std::vector<std::pair<cv::Point2d, double>> Effects::puffs_at(double t,
                                                              std::vector<double>* alpha) const {
  std::vector<std::pair<cv::Point2d, double>> out;
  if (!spec_.fire || t < spec_.fire->start_s) return out;
  const FireSpec& f = *spec_.fire;
  const double first = std::max(0.0, std::ceil((t - kPuffLife - f.start_s) / kPuffEvery));
  for (auto k = static_cast<std::uint64_t>(first);; ++k) {
    const double birth = f.start_s + static_cast<double>(k) * kPuffEvery;
    if (birth > t) break;
    const double age = t - birth;
    const double s = fire_size(birth);
    const double drift = 0.25 + 0.2 * hash_unit(k, seed_ ^ 0x51);
    const double rise = 0.45 + 0.25 * hash_unit(k, seed_ ^ 0x52);
    const double x = f.ground.x + drift * age + 0.2 * std::sin(age * 1.3 + static_cast<double>(k));
    const double z = f.base_z + 1.1 * s + rise * age;
    const double r_m = (0.15 + 0.25 * s) + 0.22 * age;
    const double a = 0.7 * s * (1.0 - age / kPuffLife) * std::min(1.0, age * 2.5 + 0.2);
    const cv::Point2d c = camera_.project(x, f.ground.y, z);
    out.emplace_back(c, r_m * camera_.focal_px() / camera_.depth(x, f.ground.y, z));
    if (alpha) alpha->push_back(a);
  }
  return out;
}

void Effects::draw_smoke(cv::Mat& bgr, double t) const {
  std::vector<double> alpha;
  const auto puffs = puffs_at(t, &alpha);
  for (size_t i = 0; i < puffs.size(); ++i) {
    const double grey = 120 + 60 * hash_unit(i, 3);
    blend_disc(bgr, puffs[i].first, puffs[i].second, grey, alpha[i]);
  }
}

cv::Rect2d Effects::fire_box(double t) const {
  const double size = fire_size(t);
  if (size <= 0) return {};
  const FireSpec& f = *spec_.fire;
  const double ppm = camera_.pixels_per_metre(f.ground);
  const double height = 1.3 * size, width = 0.7 * (0.5 + 0.5 * size);
  const cv::Point2d base = camera_.project(f.ground.x, f.ground.y, f.base_z);
  cv::Rect2d box(base.x - width * ppm * 0.7, base.y - height * ppm, width * ppm * 1.4,
                 height * ppm + 1);
  std::vector<double> alpha;
  const auto puffs = puffs_at(t, &alpha);
  for (size_t i = 0; i < puffs.size(); ++i) {
    if (alpha[i] < 0.12) continue;
    const double r = puffs[i].second * 0.6;
    box |= cv::Rect2d(puffs[i].first.x - r, puffs[i].first.y - r, 2 * r, 2 * r);
  }
  return box;
}

}  // namespace vigie::synth

namespace vigie::synth {

void apply_view_tamper(cv::Mat& bgr, ViewTamper tamper) {
  switch (tamper) {
    case ViewTamper::kNone: return;
    case ViewTamper::kMoved: {
      // The camera turned a little: what was at x is now at x - w/10, and the edge is black.
      const cv::Mat shift =
          (cv::Mat_<double>(2, 3) << 1, 0, -bgr.cols / 10.0, 0, 1, bgr.rows / 20.0);
      cv::Mat moved;
      cv::warpAffine(bgr, moved, shift, bgr.size(), cv::INTER_LINEAR, cv::BORDER_REPLICATE);
      bgr = moved;
      return;
    }
    case ViewTamper::kCovered: {
      // A dark cloth close to the lens: out of focus, a faint gradient of the light through it.
      cv::Mat cloth(bgr.size(), bgr.type());
      for (int y = 0; y < cloth.rows; ++y) {
        const auto v = static_cast<uchar>(22 + 10 * y / cloth.rows);
        cloth.row(y).setTo(cv::Scalar(v, v + 2, v + 4));
      }
      cv::Mat noise(bgr.size(), CV_8UC3);
      cv::randu(noise, 0, 4);
      bgr = cloth + noise;
      return;
    }
    case ViewTamper::kBlurred: {
      const double sigma = bgr.cols / 100.0;
      cv::GaussianBlur(bgr, bgr, cv::Size(), sigma);
      return;
    }
    case ViewTamper::kBlinded: {
      // A lamp into the lens: the sensor saturates around it, the rest washes out.
      bgr.convertTo(bgr, -1, 2.2, 110);
      cv::circle(bgr, {bgr.cols / 2, bgr.rows / 2}, bgr.rows / 2, cv::Scalar(255, 255, 255),
                 cv::FILLED);
      return;
    }
  }
}

}  // namespace vigie::synth
