#include "perceive/flow.hpp"

#include <cmath>

#include <opencv2/imgproc.hpp>
#include <opencv2/video/tracking.hpp>

namespace vigie::perceive {

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

std::vector<ZoneFlow> FlowField::update(const cv::Mat& bgr, const cv::Mat& moving_mask,
                                        double dt_s) {
  cv::Mat small, gray;
  cv::resize(bgr, small, size_, 0, 0, cv::INTER_AREA);
  cv::cvtColor(small, gray, cv::COLOR_BGR2GRAY);
  std::vector<ZoneFlow> out;
  if (previous_.empty() || dt_s <= 0) {
    previous_ = gray;
    return out;
  }
  cv::Mat flow;
  // Three pyramid levels follow runners (up to ~8 coarse px per frame at 5 fps).
  cv::calcOpticalFlowFarneback(previous_, gray, flow, 0.5, 3, 11, 3, 5, 1.1, 0);
  previous_ = gray;
  last_flow_ = flow;

  cv::Mat fg;
  if (!moving_mask.empty()) cv::resize(moving_mask, fg, size_, 0, 0, cv::INTER_NEAREST);
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
