#include "perceive/fire.hpp"

#include <algorithm>

#include <opencv2/imgproc.hpp>

namespace vigie::perceive {
namespace {

double mask_iou(const cv::Mat& a, const cv::Mat& b) {
  if (a.empty() || b.empty()) return 0;
  const double inter = cv::countNonZero(a & b);
  const double uni = cv::countNonZero(a | b);
  return uni > 0 ? inter / uni : 0;
}

template <typename T>
void trim(std::deque<std::pair<double, T>>& d, double t, double window) {
  while (!d.empty() && t - d.front().first > window) d.pop_front();
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
  cv::Mat luma_change;
  if (!previous_luma_.empty()) {
    cv::absdiff(luma, previous_luma_, luma_change);
    // A global lighting step changes everything; only what changes more than the image does
    // counts as flicker.
    const double global = cv::mean(luma_change)[0];
    luma_change -= cv::Scalar(global);
  }
  previous_luma_ = luma;
  cv::Mat grouped;
  cv::dilate(mask, grouped, cv::getStructuringElement(cv::MORPH_ELLIPSE, {5, 5}));
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(grouped, labels, stats, centroids, 8, CV_32S);
  const double area_scale = to_source * to_source;

  std::vector<bool> matched(regions_.size(), false);
  std::vector<Region> born;
  for (int i = 1; i < n; ++i) {
    const cv::Rect box(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                       stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
    cv::Mat region_mask = (labels == i) & mask;
    const double area = cv::countNonZero(region_mask) * area_scale;
    if (area < config_.min_area_px) continue;
    // The same region is the one whose box overlaps most (flames move little).
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
    const double fill = cv::countNonZero(region_mask) / static_cast<double>(box.area());
    double flicker = 0;
    if (!luma_change.empty()) {
      const double mean_luma = std::max(1.0, cv::mean(luma, region_mask)[0]);
      flicker = cv::mean(luma_change, region_mask)[0] / mean_luma;
    }
    if (best >= 0 && !matched[best]) {
      Region& r = regions_[best];
      matched[best] = true;
      r.fill = fill;
      r.bases.emplace_back(t, cv::Point2d(box.x + box.width / 2.0, box.y + box.height));
      r.flickers.emplace_back(t, flicker);
      if (!r.mask.empty()) r.shape_changes.emplace_back(t, 1.0 - mask_iou(r.mask, region_mask));
      r.mask = region_mask;
      r.box = box;
      r.last_area = area;
      r.present.emplace_back(t, true);
    } else if (best < 0) {
      Region r;
      r.id = next_id_++;
      r.box = box;
      r.mask = region_mask;
      r.first_seen = t;
      r.first_area = area;
      r.last_area = area;
      r.fill = fill;
      r.present.emplace_back(t, true);
      r.bases.emplace_back(t, cv::Point2d(box.x + box.width / 2.0, box.y + box.height));
      born.push_back(std::move(r));
    }
  }
  for (std::size_t r = 0; r < regions_.size(); ++r) {
    if (!matched[r]) {
      regions_[r].mask.release();
      regions_[r].present.emplace_back(t, false);
    }
  }
  for (auto& r : born) regions_.push_back(std::move(r));

  std::vector<FireCandidate> out;
  for (auto it = regions_.begin(); it != regions_.end();) {
    Region& r = *it;
    trim(r.present, t, config_.history_s);
    trim(r.shape_changes, t, config_.history_s);
    trim(r.flickers, t, config_.history_s);
    trim(r.bases, t, config_.history_s);
    double present = 0;
    for (const auto& p : r.present) present += p.second ? 1 : 0;
    const double presence = r.present.empty() ? 0 : present / static_cast<double>(r.present.size());
    if (present == 0) {  // gone for the whole window
      it = regions_.erase(it);
      continue;
    }
    double change = 0;
    for (const auto& c : r.shape_changes) change += c.second;
    if (!r.shape_changes.empty()) change /= static_cast<double>(r.shape_changes.size());
    double flicker = 0;
    for (const auto& f : r.flickers) flicker += f.second;
    if (!r.flickers.empty()) flicker /= static_cast<double>(r.flickers.size());
    if (!r.mask.empty()) r.smoke = smoke_above(bgr, moving, flow, r.box, dt, to_source);

    FireCandidate c;
    c.id = r.id;
    c.first_seen_s = r.first_seen;
    c.area_px = r.last_area;
    c.growth = r.first_area > 0 ? r.last_area / r.first_area : 1.0;
    c.shape_change = change;
    c.flicker = flicker;
    // Net movement of the base: the mean of the window's first third against its last
    // third. Flames jitter around their seat; a walker in an orange coat goes somewhere.
    double drift = 0;
    if (r.bases.size() >= 3) {
      const std::size_t third = r.bases.size() / 3;
      cv::Point2d early(0, 0), late(0, 0);
      for (std::size_t k = 0; k < third; ++k) {
        early += r.bases[k].second;
        late += r.bases[r.bases.size() - 1 - k].second;
      }
      drift = cv::norm(late - early) / static_cast<double>(third);
    }
    c.drift = drift / std::max(1, r.box.height);
    c.presence = presence;
    c.smoke = r.smoke;
    // Clothes in flame colours walk on legs: moving foreground right below the region. A fire
    // sits on something still (a bin, a house, the ground).
    bool on_a_body = false;
    if (!moving.empty()) {
      const cv::Rect below = cv::Rect(r.box.x, r.box.y + r.box.height, r.box.width, r.box.height) &
                             cv::Rect(0, 0, moving.cols, moving.rows);
      on_a_body = below.area() > 0 &&
                  cv::countNonZero(moving(below)) > 0.4 * static_cast<double>(below.area());
    }
    c.flame_like = !on_a_body && presence >= config_.min_presence &&
                   change >= config_.min_shape_change && flicker >= config_.min_flicker &&
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
