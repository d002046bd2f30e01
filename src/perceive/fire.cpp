#include "perceive/fire.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <utility>
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
double drop_scenery(const cv::Mat& bgr, const cv::Mat& luma, const cv::Mat& previous_luma, float dt,
                    const FireConfig& config, cv::Mat& steady, cv::Mat& scenery, cv::Mat& known,
                    cv::Mat& mask) {
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

/// Share of the window's frames where `d` holds (0 for an empty window).
double share_of_true(const std::deque<std::pair<double, bool>>& d) {
  double count = 0;
  for (const auto& e : d) count += e.second ? 1 : 0;
  return d.empty() ? 0 : count / static_cast<double>(d.size());
}

/// Centre of the set pixels of `mask` inside `box`, in the mask's pixels.
cv::Point2d centroid_of(const cv::Mat& mask, cv::Rect box) {
  const cv::Moments m = cv::moments(mask(box), true);
  return {box.x + m.m10 / std::max(1.0, m.m00), box.y + m.m01 / std::max(1.0, m.m00)};
}

/// Growth over the window: the last quarter's mean area against the first quarter's, and
/// only when no quarter is smaller than the one before (a fire taking hold grows steadily;
/// a face whose still pixels leave the mask and come back when it turns does not). 1: none.
double steady_growth(const std::deque<std::pair<double, double>>& areas) {
  if (areas.size() < 8) return 1.0;
  const std::size_t quarter = areas.size() / 4;
  double means[4] = {0, 0, 0, 0};
  for (std::size_t k = 0; k < 4 * quarter; ++k) means[k / quarter] += areas[k].second;
  bool steady = means[0] > 0;
  for (int q = 1; q < 4; ++q) steady = steady && means[q] >= means[q - 1];
  return steady ? means[3] / means[0] : 1.0;
}

/// How far the region as a whole went over the window, in its tallest height: the mean of
/// the window's first third against its last third, across by its centre, up or down by its
/// top and base together (the one that moved less, when both moved the same way). Flames
/// jitter around their seat and flare up and shrink back, moving their top alone; a region
/// whose coloured surroundings settled into scenery shrinks to the flames, moving one edge;
/// a walker in an orange coat goes somewhere, top and base with him.
double drift_in_heights(const std::deque<std::pair<double, cv::Point2d>>& bases,
                        const std::deque<std::pair<double, double>>& heights) {
  double drift = 0;
  if (bases.size() >= 3 && heights.size() == bases.size()) {
    const std::size_t count = bases.size(), third = count / 3;
    double x0 = 0, x1 = 0, base0 = 0, base1 = 0, top0 = 0, top1 = 0;
    for (std::size_t k = 0; k < third; ++k) {
      x0 += bases[k].second.x;
      x1 += bases[count - 1 - k].second.x;
      base0 += bases[k].second.y;
      base1 += bases[count - 1 - k].second.y;
      top0 += bases[k].second.y - heights[k].second;
      top1 += bases[count - 1 - k].second.y - heights[count - 1 - k].second;
    }
    const double base_moved = base1 - base0, top_moved = top1 - top0;
    const double up_or_down =
        base_moved * top_moved > 0 ? std::min(std::abs(base_moved), std::abs(top_moved)) : 0.0;
    drift = std::hypot(x1 - x0, up_or_down) / static_cast<double>(third);
  }
  double tallest = 1;
  for (const auto& h : heights) tallest = std::max(tallest, h.second);
  return drift / tallest;
}

/// Clothes and skin in flame colours walk on legs: moving foreground right below the region
/// (a jumper's legs fill the space below only while they move). A fire sits on something
/// still (a bin, a house, the ground).
bool legs_below(const cv::Mat& moving, cv::Rect box) {
  const cv::Rect below = cv::Rect(box.x, box.y + box.height, box.width, box.height) &
                         cv::Rect(0, 0, moving.cols, moving.rows);
  return below.area() > 0 &&
         cv::countNonZero(moving(below)) > 0.4 * static_cast<double>(below.area());
}

}  // namespace

/// This frame's flame-coloured pieces: the connected components of the mask, grown a little
/// first so that the tongues of one flame and their ragged edges join.
struct FireDetector::Pieces {
  cv::Mat mask;    ///< flame-coloured pixels, scenery left out
  cv::Mat labels;  ///< CV_32S: each pixel's piece, 0 for none
  cv::Mat stats;   ///< one row per piece, as cv::connectedComponentsWithStats gives them
  int count = 0;   ///< rows in `stats`, the background (row 0) included

  explicit Pieces(cv::Mat flame_pixels) : mask(std::move(flame_pixels)) {
    cv::Mat grouped;
    cv::dilate(mask, grouped, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
    cv::Mat centroids;
    count = cv::connectedComponentsWithStats(grouped, labels, stats, centroids, 8, CV_32S);
  }

  [[nodiscard]] int area(int i) const { return stats.at<int>(i, cv::CC_STAT_AREA); }

  [[nodiscard]] cv::Rect box(int i) const {
    return {stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
            stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT)};
  }

  /// The pieces' union, its box, and how much of the pieces' own boxes they fill (a thin
  /// line fills little of its box; tongues of flame apart from each other each fill theirs).
  cv::Mat union_of(const std::vector<int>& ids, cv::Rect& union_box, double& fill) const {
    cv::Mat m = cv::Mat::zeros(mask.size(), CV_8U);
    union_box = cv::Rect();
    double boxes = 0;
    for (int i : ids) {
      const cv::Rect b = box(i);
      m(b) |= (labels(b) == i) & mask(b);
      union_box = union_box.area() == 0 ? b : (union_box | b);
      boxes += b.area();
    }
    fill = boxes > 0 ? cv::countNonZero(m(union_box)) / boxes : 0.0;
    return m;
  }
};

/// Which region each of this frame's pieces joins.
struct FireDetector::Assignment {
  std::vector<std::vector<int>> pieces;  ///< per region in regions_, the pieces it takes
  std::vector<int> newborn;              ///< pieces that overlap no region: new regions
};

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
  const double global_change = drop_scenery_from(bgr, luma, dt, mask);
  const Pieces pieces(std::move(mask));
  const double area_scale = to_source * to_source;
  const Assignment assignment = assign(pieces, area_scale);
  for (std::size_t r = 0; r < regions_.size(); ++r) {
    follow(regions_[r], assignment.pieces[r], pieces, luma, global_change, t, area_scale);
  }
  for (int i : assignment.newborn) regions_.push_back(make_region(i, pieces, t, area_scale));
  previous_luma_ = luma;
  return judge_regions(bgr, moving, flow, t, dt, to_source);
}

double FireDetector::drop_scenery_from(const cv::Mat& bgr, const cv::Mat& luma, double dt,
                                       cv::Mat& mask) {
  // Nothing to compare with on the first frame: no scenery yet, and no global change.
  if (previous_luma_.empty()) return 0;
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
  return drop_scenery(bgr, luma, previous_luma_, static_cast<float>(dt), config_, steady_, scenery_,
                      scenery_known_, mask);
}

FireDetector::Assignment FireDetector::assign(const Pieces& pieces, double area_scale) const {
  // Each coloured piece goes to the region it overlaps most; a region takes all its pieces
  // together. Flames split into tongues and join again from frame to frame: one fire is one
  // region, whatever its pieces do this frame.
  Assignment out;
  out.pieces.resize(regions_.size());
  for (int i = 1; i < pieces.count; ++i) {
    if (pieces.area(i) * area_scale < config_.min_area_px) continue;
    const cv::Rect box = pieces.box(i);
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
      out.pieces[best].push_back(i);
    } else {
      out.newborn.push_back(i);
    }
  }
  return out;
}

void FireDetector::follow(Region& region, const std::vector<int>& ids, const Pieces& pieces,
                          const cv::Mat& luma, double global_change, double t,
                          double area_scale) const {
  // A region without pieces this frame keeps its history: it is judged on its presence over
  // the window, and forgotten only once absent for all of it.
  if (ids.empty()) {
    region.mask.release();
    region.present.emplace_back(t, false);
    return;
  }
  cv::Rect box;
  double fill = 0;
  cv::Mat region_mask = pieces.union_of(ids, box, fill);
  const double count = cv::countNonZero(region_mask(box));
  const cv::Point2d centre = centroid_of(region_mask, box);
  // Measured against the region as it was, so before its mask, box and centre move on.
  if (!region.mask.empty() && !previous_luma_.empty()) {
    record_change(region, region_mask, box, centre, count, luma, global_change, t);
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

void FireDetector::record_change(Region& region, const cv::Mat& region_mask, cv::Rect box,
                                 cv::Point2d centre, double count, const cv::Mat& luma,
                                 double global_change, double t) const {
  // The region's own change, with its movement taken out: the previous mask and image are
  // shifted by how far the region's centre moved. A face, a coat or an orange post seen past
  // someone keeps its shape and its shading once aligned; a flame does not.
  const cv::Rect image(0, 0, luma.cols, luma.rows);
  const cv::Point shift(cvRound(centre.x - region.centre.x), cvRound(centre.y - region.centre.y));
  const cv::Rect now = (box | (region.box + shift)) & image;
  const cv::Rect before = (now - shift) & image;
  const cv::Rect both = (before + shift) & now;
  if (both.area() == 0) return;
  const cv::Rect src = both - shift;
  const cv::Mat a = region.mask(src);
  const cv::Mat b = region_mask(both);
  const double inter = cv::countNonZero(a & b);
  const double uni = cv::countNonZero(region.mask) + count - inter;
  region.shape_changes.emplace_back(t, uni > 0 ? 1.0 - inter / uni : 0.0);
  // Brightness change on the pixels coloured in both frames, aligned. A global lighting
  // step changes everything; only what changes more than the image does counts as flicker.
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

FireDetector::Region FireDetector::make_region(int piece, const Pieces& pieces, double t,
                                               double area_scale) {
  Region r;
  r.id = next_id_++;
  r.mask = pieces.union_of({piece}, r.box, r.fill);
  const double count = cv::countNonZero(r.mask(r.box));
  r.centre = centroid_of(r.mask, r.box);
  r.first_seen = t;
  r.first_area = count * area_scale;
  r.last_area = r.first_area;
  r.present.emplace_back(t, true);
  r.bases.emplace_back(t, cv::Point2d(r.box.x + r.box.width / 2.0, r.box.y + r.box.height));
  r.heights.emplace_back(t, r.box.height);
  return r;
}

std::vector<FireCandidate> FireDetector::judge_regions(const cv::Mat& bgr, const cv::Mat& moving,
                                                       const cv::Mat& flow, double t, double dt,
                                                       double to_source) {
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
    const double presence = share_of_true(r.present);
    if (presence == 0) {  // gone for the whole window
      it = regions_.erase(it);
      continue;
    }
    out.push_back(judge(r, presence, bgr, moving, flow, t, dt, to_source));
    ++it;
  }
  return out;
}

FireCandidate FireDetector::judge(Region& r, double presence, const cv::Mat& bgr,
                                  const cv::Mat& moving, const cv::Mat& flow, double t, double dt,
                                  double to_source) const {
  // Medians, not means: someone passing in front of an orange post, or a face turning,
  // changes the region in a few frames of the window; a flame changes it in most.
  const double change = median_of(r.shape_changes);
  const double flicker = median_of(r.flickers);
  if (!r.mask.empty()) r.smoke = smoke_above(bgr, moving, flow, r.box, dt, to_source);

  FireCandidate c;
  c.id = r.id;
  c.first_seen_s = r.first_seen;
  c.area_px = r.last_area;
  c.growth = steady_growth(r.areas);
  c.shape_change = change;
  c.flicker = flicker;
  c.drift = drift_in_heights(r.bases, r.heights);
  c.presence = presence;
  c.smoke = r.smoke;
  // Legs are looked for in any frame of the window, only where the region is seen this frame.
  if (!moving.empty() && !r.mask.empty()) r.on_body.emplace_back(t, legs_below(moving, r.box));
  c.on_body = share_of_true(r.on_body);
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
    box |= cv::Rect(box.x - box.width / 2, box.y - 3 * box.height, 2 * box.width, 3 * box.height) &
           cv::Rect(0, 0, bgr.cols, bgr.rows);
  c.box = cv::Rect2d(box.x * to_source, box.y * to_source, box.width * to_source,
                     box.height * to_source);
  c.score = c.flame_like
                ? std::min(1.0, 0.5 + change + (c.smoke ? 0.2 : 0.0) + (c.growth > 1.3 ? 0.1 : 0.0))
                : 0.0;
  return c;
}

}  // namespace vigie::perceive
