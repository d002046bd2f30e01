#include "perceive/fire.hpp"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

double median_of(const std::deque<std::pair<double, double>>& d) {
  if (d.empty()) return 0;
  std::vector<double> v;
  v.reserve(d.size());
  for (const auto& e : d) v.push_back(e.second);
  auto mid = v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2);
  std::nth_element(v.begin(), mid, v.end());
  return *mid;
}

template <typename T>
void trim(std::deque<std::pair<double, T>>& d, double t, double window) {
  while (!d.empty() && t - d.front().first > window) d.pop_front();
}

/// One pass over the image: follows how long each pixel's brightness has held (`steady`),
/// remembers the colour of those that held for steady_s (`scenery`, `known`), and clears in
/// `mask` the pixels that show their remembered colour. Returns the mean brightness change.
double drop_scenery(const cv::Mat& bgr, const cv::Mat& luma, const cv::Mat& previous_luma,
                    float dt, const FireConfig& config, cv::Mat& steady, cv::Mat& scenery,
                    cv::Mat& known, cv::Mat& mask) {
  const auto settle_s = static_cast<float>(config.steady_s);
  std::int64_t total_change = 0;
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
    const uchar* l = luma.ptr<uchar>(y);
    const uchar* before = previous_luma.ptr<uchar>(y);
    auto* held = steady.ptr<float>(y);
    cv::Vec3b* seen = scenery.ptr<cv::Vec3b>(y);
    uchar* k = known.ptr<uchar>(y);
    uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int change = std::abs(l[x] - before[x]);
      total_change += change;
      held[x] = change <= config.steady_luma ? held[x] + dt : 0.0F;
      if (held[x] >= settle_s) {
        seen[x] = p[x];
        k[x] = 255;
      }
      if (m[x] != 0 && k[x] != 0) {
        const int off = std::max({std::abs(p[x][0] - seen[x][0]), std::abs(p[x][1] - seen[x][1]),
                                  std::abs(p[x][2] - seen[x][2])});
        if (off <= config.scenery_match) m[x] = 0;
      }
    }
  }
  return static_cast<double>(total_change) / static_cast<double>(bgr.total());
}

}  // namespace

FireDetector::FireDetector(const FireConfig& config) : config_(config) {}

cv::Mat FireDetector::flame_mask(const cv::Mat& bgr) const {
  cv::Mat mask(bgr.size(), CV_8U);
  for (int y = 0; y < bgr.rows; ++y) {
    const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
    uchar* m = mask.ptr<uchar>(y);
    for (int x = 0; x < bgr.cols; ++x) {
      const int b = p[x][0], g = p[x][1], r = p[x][2];
      m[x] = (r >= config_.min_red && r >= g && g > b && r - b >= config_.min_red_minus_blue) ? 255
                                                                                              : 0;
    }
  }
  return mask;
}

bool FireDetector::smoke_above(const cv::Mat& bgr, const cv::Mat& moving, const cv::Mat& flow,
                               cv::Rect box, double dt, double to_source) const {
  if (flow.empty() || moving.empty() || dt <= 0) return false;
  // Smoke rises from the flame: look in a window above it, as wide as twice the flame.
  const cv::Rect above =
      cv::Rect(box.x - box.width / 2, box.y - 3 * box.height, box.width * 2, 3 * box.height) &
      cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (above.area() == 0) return false;
  const double fx = flow.cols / static_cast<double>(bgr.cols);
  const double to_source_flow = to_source / fx;
  long grey_moving = 0;
  double rise = 0;
  for (int y = above.y; y < above.y + above.height; ++y) {
    const cv::Vec3b* p = bgr.ptr<cv::Vec3b>(y);
    const uchar* m = moving.ptr<uchar>(y);
    for (int x = above.x; x < above.x + above.width; ++x) {
      if (!m[x]) continue;
      const int hi = std::max({p[x][0], p[x][1], p[x][2]});
      const int lo = std::min({p[x][0], p[x][1], p[x][2]});
      if (hi - lo > config_.smoke_max_chroma || hi < 70) continue;
      ++grey_moving;
      const auto fy = std::min(flow.rows - 1, static_cast<int>(y * fx));
      const auto fxx = std::min(flow.cols - 1, static_cast<int>(x * fx));
      rise -= flow.at<cv::Vec2f>(fy, fxx)[1];
    }
  }
  if (grey_moving < std::max(10, above.area() / 20)) return false;
  const double rise_px_s = rise / static_cast<double>(grey_moving) * to_source_flow / dt;
  return rise_px_s >= config_.smoke_min_rise_px_s;
}

std::vector<FireCandidate> FireDetector::update(const cv::Mat& bgr, const cv::Mat& moving,
                                                const cv::Mat& flow, double t, double dt,
                                                double to_source) {
  cv::Mat mask = flame_mask(bgr);
  cv::Mat luma;
  cv::cvtColor(bgr, luma, cv::COLOR_BGR2GRAY);
  // A global lighting step changes everything; only what changes more than the image does
  // counts as flicker.
  double global_change = 0;
  if (!previous_luma_.empty()) {
    if (steady_.size() != mask.size()) {
      steady_ = cv::Mat::zeros(mask.size(), CV_32F);
      scenery_ = cv::Mat::zeros(bgr.size(), CV_8UC3);
      scenery_known_ = cv::Mat::zeros(mask.size(), CV_8U);
    }
    // What was there before and stays as it was is scenery, whoever moves around it. A pixel
    // whose brightness has held (within steady_luma per frame) for steady_s shows the scene
    // as it is: its colour is remembered, and while the pixel shows that colour again it
    // leaves the mask, coloured or not, before regions are formed. An orange post, a lit
    // sign, a wooden desk or a parked bus is thus left out again as soon as someone who
    // walked in front of it has gone, rather than steady_s later, and never joins a hand or
    // a face passing by into one region whose shape seems to dance. Steadiness is measured
    // on the pixel's brightness whether it is flame-coloured or not: a surface at the edge
    // of the flame colours drops in and out of the mask with the camera's noise and would
    // otherwise never count as steady. Flames never hold a pixel's brightness that long.
    global_change = drop_scenery(bgr, luma, previous_luma_, static_cast<float>(dt), config_,
                                 steady_, scenery_, scenery_known_, mask);
  }
  cv::Mat grouped;
  cv::dilate(mask, grouped, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(grouped, labels, stats, centroids, 8, CV_32S);
  const double area_scale = to_source * to_source;
  const cv::Rect image(0, 0, bgr.cols, bgr.rows);

  // Each coloured piece goes to the region it overlaps most; a region takes all its pieces
  // together. Flames split into tongues and join again from frame to frame: one fire is one
  // region, whatever its pieces do this frame.
  std::vector<std::vector<int>> pieces(regions_.size());
  std::vector<int> newborn;
  for (int i = 1; i < n; ++i) {
    if (stats.at<int>(i, cv::CC_STAT_AREA) * area_scale < config_.min_area_px) continue;
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    int best = -1;
    double best_overlap = 0;
    for (std::size_t r = 0; r < regions_.size(); ++r) {
      const cv::Rect grown(regions_[r].box.x - 2, regions_[r].box.y - 2, regions_[r].box.width + 4,
                           regions_[r].box.height + 4);
      const double overlap = (grown & box).area();
      if (overlap > best_overlap) {
        best_overlap = overlap;
        best = static_cast<int>(r);
      }
    }
    if (best >= 0) {
      pieces[best].push_back(i);
    } else {
      newborn.push_back(i);
    }
  }
  // The pieces' union, its box, and how much of the pieces' own boxes they fill (a thin line
  // fills little of its box; tongues of flame apart from each other each fill theirs).
  const auto mask_of = [&](const std::vector<int>& ids, cv::Rect& box, double& fill) {
    cv::Mat m = cv::Mat::zeros(mask.size(), CV_8U);
    box = cv::Rect();
    double boxes = 0;
    for (int i : ids) {
      const cv::Rect b(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
      m(b) |= (labels(b) == i) & mask(b);
      box = box.area() == 0 ? b : (box | b);
      boxes += b.area();
    }
    fill = boxes > 0 ? cv::countNonZero(m(box)) / boxes : 0.0;
    return m;
  };

  for (std::size_t r = 0; r < regions_.size(); ++r) {
    Region& region = regions_[r];
    if (pieces[r].empty()) {
      region.mask.release();
      region.present.emplace_back(t, false);
      continue;
    }
    cv::Rect box;
    double fill = 0;
    cv::Mat region_mask = mask_of(pieces[r], box, fill);
    const double count = cv::countNonZero(region_mask(box));
    const cv::Moments m = cv::moments(region_mask(box), true);
    const cv::Point2d centre(box.x + m.m10 / std::max(1.0, m.m00),
                             box.y + m.m01 / std::max(1.0, m.m00));
    if (!region.mask.empty() && !previous_luma_.empty()) {
      // The region's own change, with its movement taken out: the previous mask and image
      // are shifted by how far the region's centre moved. A face, a coat or an orange post
      // seen past someone keeps its shape and its shading once aligned; a flame does not.
      const cv::Point shift(cvRound(centre.x - region.centre.x),
                            cvRound(centre.y - region.centre.y));
      const cv::Rect now = (box | (region.box + shift)) & image;
      const cv::Rect before = (now - shift) & image;
      const cv::Rect both = (before + shift) & now;
      if (both.area() > 0) {
        const cv::Rect src = both - shift;
        const cv::Mat a = region.mask(src);
        const cv::Mat b = region_mask(both);
        const double inter = cv::countNonZero(a & b);
        const double uni = cv::countNonZero(region.mask) + count - inter;
        region.shape_changes.emplace_back(t, uni > 0 ? 1.0 - inter / uni : 0.0);
        // Brightness change on the pixels coloured in both frames, aligned.
        const cv::Mat common = a & b;
        double flicker = 0;
        if (cv::countNonZero(common) > 0) {
          cv::Mat diff;
          cv::absdiff(luma(both), previous_luma_(src), diff);
          const double mean_luma = std::max(1.0, cv::mean(luma(both), common)[0]);
          flicker = std::max(0.0, cv::mean(diff, common)[0] - global_change) / mean_luma;
        }
        region.flickers.emplace_back(t, flicker);
      }
    }
    const double area = count * area_scale;
    region.fill = fill;
    region.bases.emplace_back(t, cv::Point2d(box.x + box.width / 2.0, box.y + box.height));
    region.heights.emplace_back(t, box.height);
    region.mask = region_mask;
    region.box = box;
    region.centre = centre;
    region.last_area = area;
    region.areas.emplace_back(t, area);
    region.present.emplace_back(t, true);
  }
  for (int i : newborn) {
    Region r;
    r.id = next_id_++;
    r.mask = mask_of({i}, r.box, r.fill);
    const double count = cv::countNonZero(r.mask(r.box));
    const cv::Moments m = cv::moments(r.mask(r.box), true);
    r.centre =
        cv::Point2d(r.box.x + m.m10 / std::max(1.0, m.m00), r.box.y + m.m01 / std::max(1.0, m.m00));
    r.first_seen = t;
    r.first_area = count * area_scale;
    r.last_area = r.first_area;
    r.present.emplace_back(t, true);
    r.bases.emplace_back(t, cv::Point2d(r.box.x + r.box.width / 2.0, r.box.y + r.box.height));
    r.heights.emplace_back(t, r.box.height);
    regions_.push_back(std::move(r));
  }
  previous_luma_ = luma;

  std::vector<FireCandidate> out;
  for (auto it = regions_.begin(); it != regions_.end();) {
    Region& r = *it;
    trim(r.present, t, config_.history_s);
    trim(r.shape_changes, t, config_.history_s);
    trim(r.flickers, t, config_.history_s);
    trim(r.bases, t, config_.history_s);
    trim(r.heights, t, config_.history_s);
    trim(r.on_body, t, config_.history_s);
    trim(r.areas, t, config_.history_s);
    double present = 0;
    for (const auto& p : r.present) present += p.second ? 1 : 0;
    const double presence = r.present.empty() ? 0 : present / static_cast<double>(r.present.size());
    if (present == 0) {  // gone for the whole window
      it = regions_.erase(it);
      continue;
    }
    // Medians, not means: someone passing in front of an orange post, or a face turning,
    // changes the region in a few frames of the window; a flame changes it in most.
    const double change = median_of(r.shape_changes);
    const double flicker = median_of(r.flickers);
    if (!r.mask.empty()) r.smoke = smoke_above(bgr, moving, flow, r.box, dt, to_source);

    FireCandidate c;
    c.id = r.id;
    c.first_seen_s = r.first_seen;
    c.area_px = r.last_area;
    // Growth over the window: the last quarter's mean area against the first quarter's, and
    // only when no quarter is smaller than the one before (a fire taking hold grows steadily;
    // a face whose still pixels leave the mask and come back when it turns does not).
    c.growth = 1.0;
    if (r.areas.size() >= 8) {
      const std::size_t quarter = r.areas.size() / 4;
      double means[4] = {0, 0, 0, 0};
      for (std::size_t k = 0; k < 4 * quarter; ++k) means[k / quarter] += r.areas[k].second;
      bool steady_growth = means[0] > 0;
      for (int q = 1; q < 4; ++q) steady_growth = steady_growth && means[q] >= means[q - 1];
      if (steady_growth) c.growth = means[3] / means[0];
    }
    c.shape_change = change;
    c.flicker = flicker;
    // How far the region as a whole went: the mean of the window's first third against its
    // last third, across by its centre, up or down by its top and base together (the one
    // that moved less, when both moved the same way). Flames jitter around their seat and
    // flare up and shrink back, moving their top alone; a region whose coloured surroundings
    // settled into scenery shrinks to the flames, moving one edge; a walker in an orange
    // coat goes somewhere, top and base with him.
    double drift = 0;
    if (r.bases.size() >= 3 && r.heights.size() == r.bases.size()) {
      const std::size_t count = r.bases.size(), third = count / 3;
      double x0 = 0, x1 = 0, base0 = 0, base1 = 0, top0 = 0, top1 = 0;
      for (std::size_t k = 0; k < third; ++k) {
        x0 += r.bases[k].second.x;
        x1 += r.bases[count - 1 - k].second.x;
        base0 += r.bases[k].second.y;
        base1 += r.bases[count - 1 - k].second.y;
        top0 += r.bases[k].second.y - r.heights[k].second;
        top1 += r.bases[count - 1 - k].second.y - r.heights[count - 1 - k].second;
      }
      const double base_moved = base1 - base0, top_moved = top1 - top0;
      const double up_or_down = base_moved * top_moved > 0
                                    ? std::min(std::abs(base_moved), std::abs(top_moved))
                                    : 0.0;
      drift = std::hypot(x1 - x0, up_or_down) / static_cast<double>(third);
    }
    double tallest = 1;
    for (const auto& h : r.heights) tallest = std::max(tallest, h.second);
    c.drift = drift / tallest;
    c.presence = presence;
    c.smoke = r.smoke;
    // Clothes and skin in flame colours walk on legs: moving foreground right below the
    // region, in any frame of the window (a jumper's legs fill the space below only while
    // they move). A fire sits on something still (a bin, a house, the ground).
    if (!moving.empty() && !r.mask.empty()) {
      const cv::Rect below = cv::Rect(r.box.x, r.box.y + r.box.height, r.box.width, r.box.height) &
                             cv::Rect(0, 0, moving.cols, moving.rows);
      r.on_body.emplace_back(t, below.area() > 0 && cv::countNonZero(moving(below)) >
                                                        0.4 * static_cast<double>(below.area()));
    }
    double body = 0;
    for (const auto& b : r.on_body) body += b.second ? 1 : 0;
    c.on_body = r.on_body.empty() ? 0 : body / static_cast<double>(r.on_body.size());
    c.fill = r.fill;
    const bool on_a_body = !r.on_body.empty() && r.on_body.back().second;
    // Flames dance: their shape and shading change all over from frame to frame. A fire
    // that grows passes with less: nothing else flame-coloured grows in place while its
    // shape keeps changing.
    const bool dancing = change >= config_.min_shape_change && flicker >= config_.min_flicker;
    const bool growing = c.growth >= config_.min_growth && change >= config_.growing_shape_change &&
                         flicker >= config_.growing_flicker;
    c.flame_like = !on_a_body && presence >= config_.min_presence && (dancing || growing) &&
                   r.fill >= config_.min_fill && c.drift <= config_.max_drift &&
                   r.shape_changes.size() >= 3;
    cv::Rect box = r.box;
    if (c.smoke)
      box |=
          cv::Rect(box.x - box.width / 2, box.y - 3 * box.height, 2 * box.width, 3 * box.height) &
          cv::Rect(0, 0, bgr.cols, bgr.rows);
    c.box = cv::Rect2d(box.x * to_source, box.y * to_source, box.width * to_source,
                       box.height * to_source);
    c.score =
        c.flame_like
            ? std::min(1.0, 0.5 + change + (c.smoke ? 0.2 : 0.0) + (c.growth > 1.3 ? 0.1 : 0.0))
            : 0.0;
    out.push_back(c);
    ++it;
  }
  return out;
}

}  // namespace vigie::perceive
