#include "evidence/overlay.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>

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

/// One plane of a picture being hidden: a BGR image is one plane at full size, a YUV 4:2:0
/// picture a luma plane and two chroma planes at half size.
struct Plane {
  cv::Mat* pixels;
  bool half;  ///< a chroma plane: a sample is shared by a 2 x 2 block of pixels
};

std::vector<Plane> planes_of(cv::Mat& bgr) {
  return {{&bgr, false}};
}
std::vector<Plane> planes_of(Yuv420& image) {
  return {{&image.y, false}, {&image.u, true}, {&image.v, true}};
}

/// The samples of `plane` that any pixel of `pixels` shares in, clipped to the plane.
cv::Rect cover(const Plane& plane, const cv::Rect& pixels) {
  const cv::Rect r = plane.half ? Yuv420::chroma_cover(pixels) : pixels;
  return r & cv::Rect(0, 0, plane.pixels->cols, plane.pixels->rows);
}

template <int Channels>
void flatten_bytes(cv::Mat& roi) {
  // 32 bits hold the sum of 16 million pixels, and let the compiler vectorise the rows.
  std::array<std::uint32_t, Channels> sum{};
  for (int y = 0; y < roi.rows; ++y) {
    const std::uint8_t* p = roi.ptr<std::uint8_t>(y);
    for (int x = 0; x < roi.cols; ++x, p += Channels) {
      for (int c = 0; c < Channels; ++c) sum[c] += p[c];
    }
  }
  const double n = static_cast<double>(roi.total());
  std::array<std::uint8_t, Channels> mean{};
  for (int c = 0; c < Channels; ++c)
    mean[c] = cv::saturate_cast<std::uint8_t>(static_cast<double>(sum[c]) / n);
  for (int y = 0; y < roi.rows; ++y) {
    std::uint8_t* p = roi.ptr<std::uint8_t>(y);
    if constexpr (Channels == 1) {
      std::memset(p, mean[0], static_cast<std::size_t>(roi.cols));
    } else {
      for (int x = 0; x < roi.cols; ++x, p += Channels) {
        for (int c = 0; c < Channels; ++c) p[c] = mean[c];
      }
    }
  }
}

/// Sets every pixel of `roi` to its mean (rounded, as setTo(mean) would). A clip flattens
/// some hundred thousand small cells, where cv::mean and setTo spend more in their set-up
/// than in their arithmetic: 8-bit planes and BGR images take a plain loop.
void flatten(cv::Mat roi) {
  if (roi.type() == CV_8UC1) return flatten_bytes<1>(roi);
  if (roi.type() == CV_8UC3) return flatten_bytes<3>(roi);
  roi.setTo(cv::mean(roi));
}

/// Flattens each cell of the boxes' mosaics to its mean, on every plane. A chroma sample
/// that a cell shares with its neighbour or with a pixel just outside takes the cell's
/// mean too: no colour of the person survives at a block's edge.
void pixelate(const std::vector<Plane>& planes, cv::Size size, const std::vector<cv::Rect2d>& boxes,
              const PixelateOptions& options) {
  const cv::Rect image(0, 0, size.width, size.height);
  // A frame's boxes come from several analysed frames, and a still person's are often the
  // same: a mosaic drawn again hides nothing more, so it is drawn once.
  std::vector<cv::Rect> drawn;
  for (const cv::Rect2d& box : boxes) {
    if (box.width <= 0 || box.height <= 0) continue;
    const cv::Rect g = grown(box, options);
    if (std::find(drawn.begin(), drawn.end(), g) != drawn.end()) continue;
    drawn.push_back(g);
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
        for (const Plane& plane : planes) {
          const cv::Rect r = cover(plane, cell);
          if (r.empty()) continue;
          flatten((*plane.pixels)(r));
        }
      }
    }
  }
}

template <class Image>
void apply_privacy_to(Image& image, cv::Size size, const PrivacyPlan& plan,
                      const PixelateOptions& options) {
  const std::vector<Plane> planes = planes_of(image);
  const cv::Rect subject = pixel_rect(plan.subject) & cv::Rect(0, 0, size.width, size.height);
  std::vector<cv::Rect2d> all = plan.hide;
  all.insert(all.end(), plan.persons.begin(), plan.persons.end());
  if (subject.empty()) {
    pixelate(planes, size, all, options);
    return;
  }
  // The subject is put back as it was, then whoever stands over it is hidden again. Only
  // chroma samples wholly inside the subject are put back: one shared with a hidden pixel
  // next to it keeps its mosaic colour.
  std::vector<std::pair<cv::Rect, cv::Mat>> kept;
  for (const Plane& plane : planes) {
    cv::Rect r = plane.half ? Yuv420::chroma_inside(subject) : subject;
    r &= cv::Rect(0, 0, plane.pixels->cols, plane.pixels->rows);
    kept.emplace_back(r, r.empty() ? cv::Mat() : (*plane.pixels)(r).clone());
  }
  pixelate(planes, size, all, options);
  for (std::size_t i = 0; i < planes.size(); ++i) {
    if (!kept[i].first.empty()) kept[i].second.copyTo((*planes[i].pixels)(kept[i].first));
  }
  std::vector<cv::Rect2d> over;
  for (const auto& p : plan.persons) {
    if (overlaps(grown(p, options), plan.subject)) over.push_back(p);
  }
  pixelate(planes, size, over, options);
}

}  // namespace

void pixelate_boxes(cv::Mat& bgr, const std::vector<cv::Rect2d>& boxes,
                    const PixelateOptions& options) {
  pixelate(planes_of(bgr), bgr.size(), boxes, options);
}

void pixelate_boxes(Yuv420& image, const std::vector<cv::Rect2d>& boxes,
                    const PixelateOptions& options) {
  pixelate(planes_of(image), image.size(), boxes, options);
}

cv::Rect2d readable_subject(const Alert& alert) {
  if (alert.type != EventType::kFire && alert.type != EventType::kAbandonedObject) return {};
  return alert.region;
}

void apply_privacy(cv::Mat& bgr, const PrivacyPlan& plan, const PixelateOptions& options) {
  apply_privacy_to(bgr, bgr.size(), plan, options);
}

void apply_privacy(Yuv420& image, const PrivacyPlan& plan, const PixelateOptions& options) {
  apply_privacy_to(image, image.size(), plan, options);
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

cv::Mat privacy_mask_pixels(cv::Size size, const std::vector<std::vector<Point>>& masks) {
  cv::Mat covered = cv::Mat::zeros(size, CV_8U);
  std::vector<std::vector<cv::Point>> polygons;
  for (const auto& mask : masks) {
    if (mask.size() >= 3) polygons.push_back(to_int_points(mask));
  }
  // The same fill as burn_privacy_masks: no anti-aliasing, the same pixels.
  if (!polygons.empty()) cv::fillPoly(covered, polygons, cv::Scalar(255), cv::LINE_8);
  return covered;
}

MaskCover mask_cover(cv::Size size, const std::vector<std::vector<Point>>& masks) {
  MaskCover cover;
  cover.luma = privacy_mask_pixels(size, masks);
  cover.chroma = chroma_mask(cover.luma);
  cover.any = cv::countNonZero(cover.luma) > 0;
  return cover;
}

void burn_privacy_masks(Yuv420& image, const MaskCover& cover) {
  if (!cover.any) return;
  CV_Assert(cover.luma.size() == image.size() && cover.chroma.size() == image.u.size());
  const cv::Scalar colour = yuv_of(kPrivacyMaskColour);
  image.y.setTo(colour[0], cover.luma);
  // A chroma sample shared with a covered pixel is filled: no colour of the hidden area leaks
  // into the mask's edge.
  image.u.setTo(colour[1], cover.chroma);
  image.v.setTo(colour[2], cover.chroma);
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
