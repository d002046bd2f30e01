#include "evidence/overlay.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "core/event_type.hpp"
#include "core/iso_time.hpp"

namespace vigie::evidence {
namespace {

std::vector<cv::Point> to_int_points(const std::vector<Point>& points) {
  std::vector<cv::Point> out;
  out.reserve(points.size());
  for (const Point& p : points) {
    out.emplace_back(static_cast<int>(std::lround(p.x)), static_cast<int>(std::lround(p.y)));
  }
  return out;
}

// The box a pixelation covers: grown by the margin, rounded outwards (a margin that rounds
// inwards would leave an edge of the person).
cv::Rect grown(const cv::Rect2d& box, const PixelateOptions& options) {
  const double mx = box.width * options.margin;
  const double my = box.height * options.margin;
  const int x0 = static_cast<int>(std::floor(box.x - mx));
  const int y0 = static_cast<int>(std::floor(box.y - my));
  const int x1 = static_cast<int>(std::ceil(box.x + box.width + mx));
  const int y1 = static_cast<int>(std::ceil(box.y + box.height + my));
  return {x0, y0, x1 - x0, y1 - y0};
}

cv::Rect pixel_rect(const cv::Rect2d& r) {
  const int x0 = static_cast<int>(std::lround(r.x));
  const int y0 = static_cast<int>(std::lround(r.y));
  return {x0, y0, static_cast<int>(std::lround(r.br().x)) - x0,
          static_cast<int>(std::lround(r.br().y)) - y0};
}

bool overlaps(const cv::Rect2d& a, const cv::Rect2d& b) {
  return (a & b).area() > 0;
}

}  // namespace

void pixelate_boxes(cv::Mat& bgr, const std::vector<cv::Rect2d>& boxes,
                    const PixelateOptions& options) {
  const cv::Rect image(0, 0, bgr.cols, bgr.rows);
  for (const cv::Rect2d& box : boxes) {
    if (box.width <= 0 || box.height <= 0) continue;
    const cv::Rect g = grown(box, options);
    const int block =
        std::max(options.min_block_px, static_cast<int>(std::lround(g.height * options.block_fraction)));
    // Blocks are laid on the grown box's own grid, then clipped, so a partly visible person
    // gets the same blocks as a fully visible one.
    for (int by = g.y; by < g.br().y; by += block) {
      for (int bx = g.x; bx < g.br().x; bx += block) {
        const cv::Rect cell =
            cv::Rect(bx, by, std::min(block, g.br().x - bx), std::min(block, g.br().y - by)) &
            image;
        if (cell.empty()) continue;
        cv::Mat roi = bgr(cell);
        roi.setTo(cv::mean(roi));
      }
    }
  }
}

cv::Rect2d readable_subject(const Alert& alert) {
  if (alert.type != EventType::kFire && alert.type != EventType::kAbandonedObject) return {};
  return alert.region;
}

void apply_privacy(cv::Mat& bgr, const PrivacyPlan& plan, const PixelateOptions& options) {
  const cv::Rect subject = pixel_rect(plan.subject) & cv::Rect(0, 0, bgr.cols, bgr.rows);
  if (subject.empty()) {
    pixelate_boxes(bgr, plan.hide, options);
    pixelate_boxes(bgr, plan.persons, options);
    return;
  }
  // The subject is put back as it was, then whoever stands over it is hidden again.
  const cv::Mat kept = bgr(subject).clone();
  pixelate_boxes(bgr, plan.hide, options);
  pixelate_boxes(bgr, plan.persons, options);
  kept.copyTo(bgr(subject));
  std::vector<cv::Rect2d> over;
  for (const auto& p : plan.persons) {
    if (overlaps(grown(p, options), plan.subject)) over.push_back(p);
  }
  pixelate_boxes(bgr, over, options);
}

cv::Mat hidden_pixels(cv::Size size, const PrivacyPlan& plan, const PixelateOptions& options) {
  cv::Mat hidden = cv::Mat::zeros(size, CV_8U);
  const cv::Rect image(0, 0, size.width, size.height);
  auto fill = [&](const std::vector<cv::Rect2d>& boxes) {
    for (const auto& b : boxes) {
      if (b.width <= 0 || b.height <= 0) continue;
      const cv::Rect r = grown(b, options) & image;
      if (!r.empty()) hidden(r).setTo(255);
    }
  };
  fill(plan.hide);
  fill(plan.persons);
  const cv::Rect subject = pixel_rect(plan.subject) & image;
  if (!subject.empty()) {
    hidden(subject).setTo(0);
    std::vector<cv::Rect2d> over;
    for (const auto& p : plan.persons) {
      if (overlaps(grown(p, options), plan.subject)) over.push_back(p);
    }
    fill(over);
  }
  return hidden;
}

void burn_privacy_masks(cv::Mat& bgr, const std::vector<std::vector<Point>>& masks) {
  std::vector<std::vector<cv::Point>> polygons;
  for (const auto& mask : masks) {
    if (mask.size() >= 3) polygons.push_back(to_int_points(mask));
  }
  if (polygons.empty()) return;
  // No anti-aliasing: a blended edge would let a sliver of the hidden area through.
  cv::fillPoly(bgr, polygons, kPrivacyMaskColour, cv::LINE_8);
}

void draw_alert_annotation(cv::Mat& bgr, const Alert& alert, const std::vector<Point>& zone) {
  // Two pixels at least: JPEG halves the colour resolution, a 1 px line would turn grey.
  const int thickness = std::max(2, bgr.cols / 320);
  if (zone.size() >= 2) {
    std::vector<std::vector<cv::Point>> outline{to_int_points(zone)};
    cv::polylines(bgr, outline, /*isClosed=*/zone.size() >= 3, kZoneColour, thickness, cv::LINE_8);
  }
  if (alert.region.width > 0 && alert.region.height > 0) {
    const cv::Rect r(cv::Point(static_cast<int>(std::lround(alert.region.x)),
                               static_cast<int>(std::lround(alert.region.y))),
                     cv::Point(static_cast<int>(std::lround(alert.region.br().x)),
                               static_cast<int>(std::lround(alert.region.br().y))));
    cv::rectangle(bgr, r, kRegionColour, thickness, cv::LINE_8);
  }
  if (alert.polygon.size() >= 3) {
    std::vector<std::vector<cv::Point>> outline{to_int_points(alert.polygon)};
    cv::polylines(bgr, outline, true, kRegionColour, thickness, cv::LINE_8);
  }

  const std::string text = std::string(to_string(alert.type)) + " | " + alert.camera + " | " +
                           format_iso8601(alert.wall_start);
  const double scale = std::max(0.35, bgr.cols / 1280.0);
  int baseline = 0;
  const cv::Size size = cv::getTextSize(text, cv::FONT_HERSHEY_SIMPLEX, scale, 1, &baseline);
  // A dark band behind the text keeps it legible over any scene.
  cv::rectangle(bgr, cv::Rect(0, 0, std::min(bgr.cols, size.width + 8), size.height + baseline + 6),
                cv::Scalar(0, 0, 0), cv::FILLED);
  cv::putText(bgr, text, cv::Point(4, size.height + 3), cv::FONT_HERSHEY_SIMPLEX, scale,
              cv::Scalar(255, 255, 255), 1, cv::LINE_AA);
}

}  // namespace vigie::evidence
