#include "perceive/flow.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace vigie::perceive {
namespace {

// Farneback's parameters. Three pyramid levels follow runners (up to ~8 coarse px per frame
// at 5 fps); it stops halving before a side falls under 32 px.
constexpr double kPyramidScale = 0.5;
constexpr int kLevels = 3;
constexpr int kSmallestLayerSide = 32;
constexpr int kWindow = 11;
constexpr int kIterations = 3;
constexpr int kPolyN = 5;
constexpr double kPolySigma = 1.1;
/// Beyond this share of the image, the regions cost as much as the whole image.
constexpr double kWholeImageShare = 0.6;

void farneback(const cv::Mat& previous, const cv::Mat& current, cv::Mat& flow) {
  cv::calcOpticalFlowFarneback(previous, current, flow, kPyramidScale, kLevels, kWindow,
                               kIterations, kPolyN, kPolySigma, 0);
}

/// `r` grown to at least `side` each way, moved inside `image` rather than cut by its edge.
cv::Rect at_least(cv::Rect r, int side, const cv::Rect& image) {
  if (r.width < side) {
    r.x -= (side - r.width) / 2;
    r.width = side;
  }
  if (r.height < side) {
    r.y -= (side - r.height) / 2;
    r.height = side;
  }
  r.x = std::clamp(r.x, 0, std::max(0, image.width - r.width));
  r.y = std::clamp(r.y, 0, std::max(0, image.height - r.height));
  return r & image;
}

}  // namespace

FlowField::FlowField(const FlowConfig& config, cv::Size analysis_size, double to_source,
                     const PersonScale& scale, const std::vector<std::vector<Point>>& zones)
    : config_(config) {
  const double shrink = std::min(1.0, config.max_width / static_cast<double>(analysis_size.width));
  size_ = cv::Size(std::max(8, static_cast<int>(std::lround(analysis_size.width * shrink))),
                   std::max(8, static_cast<int>(std::lround(analysis_size.height * shrink))));
  flow_to_source_ = to_source * analysis_size.width / static_cast<double>(size_.width);
  for (const auto& polygon : zones) {
    cv::Mat mask = cv::Mat::zeros(size_, CV_8U);
    if (polygon.empty()) {
      mask.setTo(255);
    } else {
      std::vector<cv::Point> pts;
      for (const Point& p : polygon) {
        pts.emplace_back(static_cast<int>(std::lround(p.x / flow_to_source_)),
                         static_cast<int>(std::lround(p.y / flow_to_source_)));
      }
      cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, 255);
    }
    zone_masks_.push_back(mask);
  }
  // A region with fewer pyramid layers than the whole image would follow fast movement
  // less far: each is at least as large as the smallest image with the same layers.
  int layers = 1;
  while (layers < kLevels &&
         (std::min(size_.width, size_.height) >> layers) >= kSmallestLayerSide) {
    ++layers;
  }
  min_region_side_ = layers == 1 ? 1 : kSmallestLayerSide << (layers - 1);
  // Thresholds per pixel are computed once: perspective makes them vary across the image.
  running_px_s_ = cv::Mat(size_, CV_32F, cv::Scalar(1e9));
  still_px_s_ = cv::Mat(size_, CV_32F, cv::Scalar(4.0));
  if (scale.ground()) metres_per_px_ = cv::Mat(size_, CV_32F, cv::Scalar(0));
  for (int y = 0; y < size_.height; ++y) {
    for (int x = 0; x < size_.width; ++x) {
      const Point source((x + 0.5) * flow_to_source_, (y + 0.5) * flow_to_source_);
      if (auto ppm = scale.pixels_per_metre(source)) {
        metres_per_px_.at<float>(y, x) = static_cast<float>(1.0 / *ppm);
        running_px_s_.at<float>(y, x) = static_cast<float>(config.running_speed_mps * *ppm);
        still_px_s_.at<float>(y, x) = static_cast<float>(config.still_speed_mps * *ppm);
      } else if (auto h = scale.person_height_px(source)) {
        running_px_s_.at<float>(y, x) = static_cast<float>(config.running_heights_per_s * *h);
        still_px_s_.at<float>(y, x) = static_cast<float>(config.still_heights_per_s * *h);
      }
    }
  }
}

void FlowField::find_regions(const cv::Mat& moving_mask) {
  regions_.clear();
  const cv::Rect image({0, 0}, size_);
  if (moving_mask.empty() || config_.motion_margin <= 0) {
    regions_.push_back(image);
    return;
  }
  // Averaging keeps every coarse pixel that any moving pixel falls in, however small.
  cv::resize(moving_mask, touched_, size_, 0, 0, cv::INTER_AREA);
  const int n = cv::connectedComponentsWithStats(touched_, labels_, stats_, centroids_, 8, CV_32S);
  const int m = config_.motion_margin;
  for (int i = 1; i < n; ++i) {
    const int* st = stats_.ptr<int>(i);
    const cv::Rect grown(st[cv::CC_STAT_LEFT] - m, st[cv::CC_STAT_TOP] - m,
                         st[cv::CC_STAT_WIDTH] + 2 * m, st[cv::CC_STAT_HEIGHT] + 2 * m);
    regions_.push_back(at_least(grown & image, min_region_side_, image));
  }
  // Overlapping regions become their common box, until none overlap.
  for (bool merged = true; merged;) {
    merged = false;
    for (std::size_t a = 0; a < regions_.size() && !merged; ++a) {
      for (std::size_t b = a + 1; b < regions_.size(); ++b) {
        if ((regions_[a] & regions_[b]).empty()) continue;
        regions_[a] |= regions_[b];
        regions_.erase(regions_.begin() + static_cast<std::ptrdiff_t>(b));
        merged = true;
        break;
      }
    }
  }
  double area = 0;
  for (const cv::Rect& r : regions_) area += r.area();
  if (area > kWholeImageShare * image.area()) regions_.assign(1, image);
}

std::vector<ZoneFlow> FlowField::update(const cv::Mat& bgr, const cv::Mat& moving_mask,
                                        double dt_s) {
  cv::resize(bgr, small_, size_, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small_, gray_, cv::COLOR_BGR2GRAY);
  std::vector<ZoneFlow> out;
  if (previous_.empty() || dt_s <= 0) {
    cv::swap(previous_, gray_);
    return out;
  }
  // Flow is read only where something moves: elsewhere it stays 0, and a frame in which
  // nothing moves costs no flow at all.
  find_regions(moving_mask);
  cv::Mat& flow = last_flow_;
  if (regions_.size() == 1 && regions_[0].size() == size_) {
    farneback(previous_, gray_, flow);
  } else {
    flow.create(size_, CV_32FC2);
    flow.setTo(cv::Scalar::all(0));
    for (const cv::Rect& r : regions_) {
      farneback(previous_(r), gray_(r), region_flow_);
      region_flow_.copyTo(flow(r));
    }
  }
  cv::swap(previous_, gray_);

  cv::Mat& fg = fg_;
  if (moving_mask.empty()) {
    fg.release();
  } else {
    cv::resize(moving_mask, fg, size_, 0, 0, cv::INTER_NEAREST);
  }
  const double px_s = flow_to_source_ / dt_s;  // coarse px/frame -> source px/s

  for (const cv::Mat& zone : zone_masks_) {
    ZoneFlow z;
    z.metric = !metres_per_px_.empty();
    double speed_sum = 0, weight_sum = 0, dx = 0, dy = 0;
    // Sums for the least-squares expansion rate k of v = k (p - c) over moving pixels.
    double s_pv = 0, s_px = 0, s_py = 0, s_pp = 0;
    long zone_pixels = 0, moving = 0, fast = 0;
    for (int y = 0; y < size_.height; ++y) {
      const uchar* zm = zone.ptr<uchar>(y);
      const cv::Vec2f* f = flow.ptr<cv::Vec2f>(y);
      const uchar* fm = fg.empty() ? nullptr : fg.ptr<uchar>(y);
      for (int x = 0; x < size_.width; ++x) {
        if (!zm[x]) continue;
        ++zone_pixels;
        if (fm != nullptr && !fm[x]) continue;
        const double speed = std::hypot(f[x][0], f[x][1]) * px_s;  // source px/s
        if (speed < still_px_s_.at<float>(y, x)) continue;
        ++moving;
        if (speed > running_px_s_.at<float>(y, x)) ++fast;
        const double ground_speed = z.metric ? speed * metres_per_px_.at<float>(y, x) : speed;
        speed_sum += ground_speed;
        weight_sum += speed;
        dx += f[x][0] * px_s;
        dy += f[x][1] * px_s;
        const double px = (x + 0.5) * flow_to_source_, py = (y + 0.5) * flow_to_source_;
        s_pv += px * f[x][0] * px_s + py * f[x][1] * px_s;
        s_px += px;
        s_py += py;
        s_pp += px * px + py * py;
        double angle = std::atan2(f[x][1], f[x][0]);
        if (angle < 0) angle += 2 * CV_PI;
        z.direction_histogram[static_cast<std::size_t>(angle / (CV_PI / 4)) % 8] += speed;
      }
    }
    // Too few moving pixels make divergence and direction noise, not movement.
    if (moving >= std::max<long>(6, zone_pixels / 200)) {
      z.mean_speed = speed_sum / static_cast<double>(moving);
      // Separate people moving apart each translate, so local derivatives see nothing; the
      // expansion of the moving pixels about their centroid does: div v = 2k.
      const double n = static_cast<double>(moving);
      const double cx = s_px / n, cy = s_py / n;
      const double spread = s_pp - n * (cx * cx + cy * cy);
      if (spread > 1e-6) z.divergence = 2.0 * (s_pv - (cx * dx + cy * dy)) / spread;
      const double norm = std::hypot(dx, dy);
      if (norm > 0) z.mean_direction = Point(dx / norm, dy / norm);
      for (double& h : z.direction_histogram) h /= weight_sum;
    }
    z.moving_fraction =
        zone_pixels > 0 ? static_cast<double>(moving) / static_cast<double>(zone_pixels) : 0;
    z.fast_fraction = moving > 0 ? static_cast<double>(fast) / static_cast<double>(moving) : 0;
    out.push_back(z);
  }
  return out;
}

}  // namespace vigie::perceive
