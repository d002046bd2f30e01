#include "synth/layout.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

namespace vigie::synth {
namespace {

using cv::Vec3d;

double frac(double v) {
  return v - std::floor(v);
}

// Per-cell tone variation, stable for a cell index.
double cell_tone(std::int64_t i, std::int64_t j, std::uint64_t salt) {
  return hash_unit(
      static_cast<std::uint64_t>(i * 73856093) ^ static_cast<std::uint64_t>(j * 19349663), salt);
}

double smooth_joint(double f, double half_width) {
  const double d = std::min(f, 1.0 - f);
  return std::clamp((half_width - d) / half_width, 0.0, 1.0);
}

Vec3d ground_colour(Point g, std::uint64_t salt) {
  const double fine = hash_unit(static_cast<std::uint64_t>(std::floor(g.x * 40) * 7919 + 104729),
                                static_cast<std::uint64_t>(std::floor(g.y * 40)) ^ salt);
  if (layout::kWalkway.contains(g)) {
    const double v = 78 + 14 * fine;
    const double edge = std::min(g.x - layout::kWalkway.x0, layout::kWalkway.x1 - g.x);
    if (edge < 0.12) return {175, 178, 180};  // kerb stones
    // white arrow-free lane marking down the middle
    if (std::abs(g.x - (layout::kWalkway.x0 + layout::kWalkway.x1) / 2) < 0.06 &&
        frac(g.y / 3.0) < 0.5)
      return {205, 210, 210};
    return {v, v + 2, v + 4};
  }
  if (std::abs(g.x - layout::kTrack.x0) < 0.08 && g.y > layout::kTrack.y0 - 2 &&
      g.y < layout::kTrack.y1 + 2)
    return {30, 200, 230};  // yellow safety line
  if (g.x > layout::kTrack.x0 + 0.1) {
    // gravel, sleepers and two rails
    const double gravel = 95 + 45 * fine;
    Vec3d c{gravel * 0.9, gravel * 0.95, gravel};
    const double rail_a = 8.0, rail_b = rail_a + 1.435;
    if (g.x > rail_a - 0.3 && g.x < rail_b + 0.3 && frac(g.y / 0.6) < 0.35) c = {45, 60, 75};
    if (std::abs(g.x - rail_a) < 0.05 || std::abs(g.x - rail_b) < 0.05) c = {150, 150, 160};
    return c;
  }
  // paving slabs 0.6 x 0.4 m, running bond, per-slab tone
  const double row = std::floor(g.y / 0.4);
  const double shift = std::fmod(row, 2.0) == 0 ? 0.0 : 0.3;
  const double col = std::floor((g.x + shift) / 0.6);
  const double tone =
      cell_tone(static_cast<std::int64_t>(col), static_cast<std::int64_t>(row), salt);
  const double base = 150 + 30 * tone + 10 * fine;
  Vec3d c{base * 0.93, base * 0.98, base};
  const double joint =
      std::max(smooth_joint(frac((g.x + shift) / 0.6), 0.03), smooth_joint(frac(g.y / 0.4), 0.045));
  c = c * (1.0 - 0.45 * joint);
  // large-scale staining
  const double stain = 0.92 + 0.08 * std::sin(g.x * 0.7 + std::sin(g.y * 0.5) * 2.0);
  return c * stain;
}

Vec3d facade_colour(double x, double z, std::uint64_t salt) {
  if (z > 15.0) {  // sky above the roof line
    const double s = std::clamp((z - 15.0) / 20.0, 0.0, 1.0);
    return Vec3d{235, 215, 190} * (1 - s) + Vec3d{220, 170, 120} * s;
  }
  if (z > 14.4) return {90, 95, 100};  // cornice
  const double fine = hash_unit(static_cast<std::uint64_t>(std::floor(x * 30) + 5000),
                                static_cast<std::uint64_t>(std::floor(z * 30)) ^ salt);
  Vec3d wall{150 + 10 * fine, 170 + 10 * fine, 190 + 10 * fine};
  if (z < 3.0) {
    // shop fronts: dark glass with frames, a door
    const double bay = frac((x + 20.0) / 4.0) * 4.0;
    if (z > 0.3 && z < 2.7 && bay > 0.3 && bay < 3.7) {
      const double refl = 0.5 + 0.5 * std::sin(x * 0.9 + z * 0.4);
      return {70 + 25 * refl, 62 + 20 * refl, 55 + 15 * refl};
    }
    return {110, 115, 120};
  }
  const double wx = frac((x + 20.0) / 3.0) * 3.0;
  const double wz = frac((z - 3.6) / 3.5) * 3.5;
  if (wx > 0.9 && wx < 2.1 && wz > 0.5 && wz < 2.3) {
    const double lit = cell_tone(static_cast<std::int64_t>(std::floor((x + 20.0) / 3.0)),
                                 static_cast<std::int64_t>(std::floor((z - 3.6) / 3.5)), salt);
    return lit > 0.8 ? Vec3d{120, 170, 200} : Vec3d{85, 75, 70};
  }
  return wall;
}

cv::Point px(const CameraModel& cam, double x, double y, double z) {
  const cv::Point2d p = cam.project(x, y, z);
  return {static_cast<int>(std::lround(p.x * 8)), static_cast<int>(std::lround(p.y * 8))};
}

void box3d(cv::Mat& img, const CameraModel& cam, double x0, double x1, double y0, double y1,
           double z0, double z1, cv::Scalar side, cv::Scalar top) {
  const cv::Point front[4] = {px(cam, x0, y0, z0), px(cam, x1, y0, z0), px(cam, x1, y0, z1),
                              px(cam, x0, y0, z1)};
  const cv::Point up[4] = {px(cam, x0, y0, z1), px(cam, x1, y0, z1), px(cam, x1, y1, z1),
                           px(cam, x0, y1, z1)};
  const double sx = x0 > 0 ? x0 : x1;  // the side facing the camera's centre line
  const cv::Point lat[4] = {px(cam, sx, y0, z0), px(cam, sx, y1, z0), px(cam, sx, y1, z1),
                            px(cam, sx, y0, z1)};
  cv::fillConvexPoly(img, lat, 4, side * 0.75, cv::LINE_AA, 3);
  cv::fillConvexPoly(img, up, 4, top, cv::LINE_AA, 3);
  cv::fillConvexPoly(img, front, 4, side, cv::LINE_AA, 3);
}

void contact_shadow(cv::Mat& img, const CameraModel& cam, Point g, double rx, double ry) {
  const double ppm = cam.pixels_per_metre(g);
  cv::ellipse(img, px(cam, g.x + rx * 0.4, g.y + 0.1, 0),
              cv::Size(static_cast<int>(rx * ppm * 8), static_cast<int>(ry * ppm * 3.6)), 0, 0, 360,
              cv::Scalar(60, 65, 70), cv::FILLED, cv::LINE_AA, 3);
}

}  // namespace

cv::Mat render_background(const CameraModel& cam, Rng& rng) {
  const cv::Size size = cam.image_size();
  const std::uint64_t salt = rng.fork();
  cv::Mat img(size, CV_8UC3);
  // 2x2 supersampling keeps distant joints from aliasing into moire.
  for (int y = 0; y < size.height; ++y) {
    auto* row = img.ptr<cv::Vec3b>(y);
    for (int x = 0; x < size.width; ++x) {
      Vec3d acc{0, 0, 0};
      for (int s = 0; s < 4; ++s) {
        const cv::Point2d p(x + 0.25 + 0.5 * (s & 1), y + 0.25 + 0.5 * (s >> 1));
        const Point g = cam.ground_at(p);
        if (!std::isnan(g.x) && g.y < layout::kFacadeY) {
          acc += ground_colour(g, salt);
        } else {
          // intersect the pixel ray with the facade plane Y = kFacadeY
          const cv::Point3d d = cam.ray(p);
          const double t = layout::kFacadeY / std::max(d.y, 1e-6);
          acc += facade_colour(d.x * t, cam.height_m() + d.z * t, salt);
        }
      }
      acc *= 0.25;
      row[x] = cv::Vec3b(cv::saturate_cast<uchar>(acc[0]), cv::saturate_cast<uchar>(acc[1]),
                         cv::saturate_cast<uchar>(acc[2]));
    }
  }

  // Street furniture, far to near so nearer things overlap.
  contact_shadow(img, cam, layout::kPlanter, 1.0, 0.5);
  box3d(img, cam, layout::kPlanter.x - 0.8, layout::kPlanter.x + 0.8, layout::kPlanter.y - 0.4,
        layout::kPlanter.y + 0.4, 0, 0.55, {90, 100, 115}, {40, 110, 60});
  for (int i = 0; i < 6; ++i) {  // shrubs in the planter
    const double sx = layout::kPlanter.x - 0.6 + 0.24 * i;
    cv::circle(img, px(cam, sx, layout::kPlanter.y, 0.75),
               static_cast<int>(cam.pixels_per_metre(layout::kPlanter) * 0.25 * 8),
               cv::Scalar(30 + 8 * i, 100 + 5 * i, 40), cv::FILLED, cv::LINE_AA, 3);
  }
  // tree trunk (the crown sways and is drawn per frame)
  {
    const Point t = layout::kTree;
    contact_shadow(img, cam, t, 1.5, 0.8);
    cv::line(img, px(cam, t.x, t.y, 0), px(cam, t.x, t.y, 3.5), cv::Scalar(40, 60, 80),
             std::max(2, static_cast<int>(cam.pixels_per_metre(t) * 0.35)), cv::LINE_AA, 3);
  }
  // lamp post (its head is drawn per frame: it flickers)
  {
    const Point l = layout::kLamp;
    cv::line(img, px(cam, l.x, l.y, 0), px(cam, l.x, l.y, layout::kLampHeight),
             cv::Scalar(50, 55, 60), std::max(2, static_cast<int>(cam.pixels_per_metre(l) * 0.14)),
             cv::LINE_AA, 3);
    cv::line(img, px(cam, l.x, l.y, layout::kLampHeight),
             px(cam, l.x - 0.6, l.y, layout::kLampHeight), cv::Scalar(50, 55, 60),
             std::max(1, static_cast<int>(cam.pixels_per_metre(l) * 0.08)), cv::LINE_AA, 3);
  }
  // bin
  contact_shadow(img, cam, layout::kBin, 0.4, 0.3);
  box3d(img, cam, layout::kBin.x - 0.25, layout::kBin.x + 0.25, layout::kBin.y - 0.25,
        layout::kBin.y + 0.25, 0, 0.9, {40, 80, 40}, {25, 30, 25});
  // bench: legs, seat, backrest
  {
    const GroundRect b = layout::kBench;
    contact_shadow(img, cam, b.centre(), 1.0, 0.4);
    box3d(img, cam, b.x0 + 0.1, b.x0 + 0.2, b.y0, b.y1, 0, 0.42, {40, 40, 45}, {40, 40, 45});
    box3d(img, cam, b.x1 - 0.2, b.x1 - 0.1, b.y0, b.y1, 0, 0.42, {40, 40, 45}, {40, 40, 45});
    box3d(img, cam, b.x0, b.x1, b.y1, b.y1 + 0.08, 0.42, 0.85, {50, 90, 140}, {60, 100, 150});
    box3d(img, cam, b.x0, b.x1, b.y0, b.y1, 0.40, 0.46, {60, 105, 160}, {80, 130, 185});
  }
  for (double by : layout::kBollardsY) {
    contact_shadow(img, cam, {layout::kBollardsX, by}, 0.25, 0.2);
    box3d(img, cam, layout::kBollardsX - 0.1, layout::kBollardsX + 0.1, by - 0.1, by + 0.1, 0, 0.9,
          {70, 70, 75}, {150, 150, 155});
    box3d(img, cam, layout::kBollardsX - 0.1, layout::kBollardsX + 0.1, by - 0.1, by + 0.1, 0.7,
          0.78, {200, 200, 205}, {200, 200, 205});
  }
  return img;
}

std::vector<Point> clip_to_image(const std::vector<Point>& polygon, cv::Size size) {
  std::vector<Point> out = polygon;
  const double w = size.width - 1.0, h = size.height - 1.0;
  auto clip = [&](auto inside, auto intersect) {
    std::vector<Point> in = std::move(out);
    out.clear();
    for (size_t i = 0; i < in.size(); ++i) {
      const Point a = in[i], b = in[(i + 1) % in.size()];
      const bool ia = inside(a), ib = inside(b);
      if (ia) out.push_back(a);
      if (ia != ib) out.push_back(intersect(a, b));
    }
  };
  auto at_x = [](double x) {
    return [x](Point a, Point b) {
      const double t = (x - a.x) / (b.x - a.x);
      return Point(x, a.y + t * (b.y - a.y));
    };
  };
  auto at_y = [](double y) {
    return [y](Point a, Point b) {
      const double t = (y - a.y) / (b.y - a.y);
      return Point(a.x + t * (b.x - a.x), y);
    };
  };
  clip([](Point p) { return p.x >= 0; }, at_x(0));
  clip([w](Point p) { return p.x <= w; }, at_x(w));
  clip([](Point p) { return p.y >= 0; }, at_y(0));
  clip([h](Point p) { return p.y <= h; }, at_y(h));
  for (Point& p : out) p = {std::round(p.x * 10) / 10, std::round(p.y * 10) / 10};
  return out;
}

std::vector<Point> project_rect(const CameraModel& camera, const GroundRect& rect) {
  std::vector<Point> poly;
  for (const Point& g : rect.corners()) poly.push_back(camera.project_ground(g));
  return clip_to_image(poly, camera.image_size());
}

}  // namespace vigie::synth
