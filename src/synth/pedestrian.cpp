#include "synth/pedestrian.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <numbers>

#include <opencv2/imgproc.hpp>

namespace vigie::synth {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr int kShift = 3;  // sub-pixel bits for OpenCV drawing
constexpr double kSub = 1 << kShift;

double stride_m(Pose pose) {
  return pose == Pose::kRun ? 2.6 : 1.45;
}

cv::Scalar pick(Rng& rng, const std::vector<cv::Scalar>& palette) {
  return palette[static_cast<size_t>(rng.integer(0, static_cast<int>(palette.size()) - 1))];
}

cv::Scalar jitter(Rng& rng, cv::Scalar c, double amount) {
  const double f = rng.uniform(1.0 - amount, 1.0 + amount);
  return {std::clamp(c[0] * f, 0.0, 255.0), std::clamp(c[1] * f, 0.0, 255.0),
          std::clamp(c[2] * f, 0.0, 255.0)};
}

// A primitive of the body in image pixels.
struct Prim {
  enum class Kind { kLine, kCircle, kPoly } kind;
  std::array<cv::Point2d, 4> pts;
  double size;  // line thickness or circle radius
  cv::Scalar color;
};

struct Shape {
  std::vector<Prim> prims;
  cv::Rect2d bounds() const {
    double x0 = 1e18, y0 = 1e18, x1 = -1e18, y1 = -1e18;
    auto grow = [&](cv::Point2d p, double r) {
      x0 = std::min(x0, p.x - r);
      y0 = std::min(y0, p.y - r);
      x1 = std::max(x1, p.x + r);
      y1 = std::max(y1, p.y + r);
    };
    for (const Prim& p : prims) {
      switch (p.kind) {
        // anti-aliasing spreads every edge by about a pixel
        case Prim::Kind::kLine:
          grow(p.pts[0], std::max(1.0, std::round(p.size)) / 2 + 1.5);
          grow(p.pts[1], std::max(1.0, std::round(p.size)) / 2 + 1.5);
          break;
        case Prim::Kind::kCircle: grow(p.pts[0], std::round(p.size) + 1.5); break;
        case Prim::Kind::kPoly:
          for (const auto& q : p.pts) grow(q, 1.5);
          break;
      }
    }
    if (x1 < x0) return {};
    return {x0, y0, x1 - x0, y1 - y0};
  }
};

cv::Point fixed(cv::Point2d p) {
  return {static_cast<int>(std::lround(p.x * kSub)), static_cast<int>(std::lround(p.y * kSub))};
}

void draw_shape(cv::Mat& img, const Shape& s) {
  for (const Prim& p : s.prims) {
    switch (p.kind) {
      case Prim::Kind::kLine:
        cv::line(img, fixed(p.pts[0]), fixed(p.pts[1]), p.color,
                 std::max(1, static_cast<int>(std::lround(p.size))), cv::LINE_AA, kShift);
        break;
      case Prim::Kind::kCircle:
        cv::circle(img, fixed(p.pts[0]), static_cast<int>(std::lround(p.size * kSub)), p.color,
                   cv::FILLED, cv::LINE_AA, kShift);
        break;
      case Prim::Kind::kPoly: {
        std::array<cv::Point, 4> q{};
        for (size_t i = 0; i < 4; ++i) q[i] = fixed(p.pts[i]);
        cv::fillConvexPoly(img, q.data(), 4, p.color, cv::LINE_AA, kShift);
        break;
      }
    }
  }
}

// Builds the body in image pixels. Local body units: height fractions, x right, y up,
// origin at the feet; `facing` is +1/-1 (image direction of travel), `side` in 0..1 is how
// much of the profile the camera sees (1: walking across the image).
Shape build_shape(const CameraModel& cam, const PersonState& st, const Appearance& look) {
  const cv::Point2d foot = cam.project_ground(st.ground);
  const double ppm = cam.pixels_per_metre(st.ground);
  const double h = look.height_m * ppm;
  const cv::Point2d ahead = cam.project_ground(st.ground + st.heading * 0.5);
  cv::Point2d dir = ahead - foot;
  const double dn = std::max(1e-9, std::hypot(dir.x, dir.y));
  dir /= dn;
  const double side = std::abs(dir.x);
  const double facing = dir.x >= 0 ? 1.0 : -1.0;
  const double front = 1.0 - side;

  // Whole-body rotation about the feet (falling / lying).
  double tilt = 0.0;
  if (st.pose == Pose::kFall) tilt = st.progress * st.progress * kPi / 2;
  if (st.pose == Pose::kLie) tilt = kPi / 2;
  const double ct = std::cos(tilt * facing), sn = std::sin(tilt * facing);
  auto img = [&](double x, double y) {
    // rotate (x, y) by tilt (clockwise on screen when facing right), then to pixels
    const double rx = x * ct + y * sn;
    const double ry = -x * sn + y * ct;
    return cv::Point2d(foot.x + rx * h, foot.y - ry * h);
  };
  auto dir_from_down = [&](double angle) {  // forward-positive angle from straight down
    return cv::Point2d(facing * std::sin(angle) * side, -std::cos(angle));
  };

  Shape s;
  auto line = [&](cv::Point2d a, cv::Point2d b, double w, const cv::Scalar& c) {
    s.prims.push_back({Prim::Kind::kLine, {img(a.x, a.y), img(b.x, b.y), {}, {}}, w * h, c});
  };

  const double build = look.build;
  const double torso_w = (0.19 * front + 0.12 * side) * build;
  const double leg_w = 0.07 * build;
  const double arm_w = 0.045 * build;
  double hip_y = 0.52;
  double torso_len = 0.29;
  double torso_lean = 0.0;  // forward lean, radians
  double leg_swing = 0.0, arm_swing = 0.0, knee = 0.0, elbow = 0.15;
  const double thigh = 0.25, shin = 0.25, upper_arm = 0.17, fore_arm = 0.16;
  double thigh_a[2] = {0, 0};
  double shin_a[2] = {0, 0};
  bool seated = false, ground_seated = false;

  switch (st.pose) {
    case Pose::kWalk:
      leg_swing = 0.38;
      arm_swing = 0.3;
      knee = 0.25;
      break;
    case Pose::kRun:
      leg_swing = 0.7;
      arm_swing = 0.8;
      knee = 0.9;
      elbow = 1.4;
      torso_lean = 0.22;
      break;
    case Pose::kBend: {
      const double b = std::sin(std::clamp(st.progress, 0.0, 1.0) * kPi);  // down then up
      torso_lean = 1.25 * b;
      hip_y = 0.52 - 0.06 * b;
      knee = 0.5 * b;
      break;
    }
    case Pose::kSitBench: seated = true; break;
    case Pose::kSitGround: ground_seated = true; break;
    default: break;
  }

  const double sw = std::sin(st.phase);
  for (int i = 0; i < 2; ++i) {
    const double sgn = i == 0 ? 1.0 : -1.0;
    thigh_a[i] = sgn * leg_swing * sw;
    // the knee flexes on the swing (forward-moving) leg
    const double flex = knee * std::max(0.0, sgn * std::cos(st.phase)) + (knee > 0.6 ? 0.3 : 0.0);
    shin_a[i] = thigh_a[i] - flex;
  }

  const cv::Scalar& trousers = look.trousers;
  const double lateral = 0.045 * front * build;
  cv::Point2d hip(0, hip_y);
  if (seated || ground_seated) {
    hip.y = seated ? 0.27 : 0.06;
    // Legs point at the camera: foreshortened, they run down the image.
    for (int i = 0; i < 2; ++i) {
      const double lx = (i == 0 ? -1 : 1) * 0.055 * build;
      const cv::Point2d k(lx + facing * 0.2 * side, hip.y - 0.05);
      line({lx, hip.y}, k, leg_w, trousers);
      const cv::Point2d f =
          seated ? cv::Point2d(k.x, -0.04) : cv::Point2d(k.x + facing * 0.2 * side, -0.1);
      line(k, f, leg_w * 0.9, trousers);
      line(f, {f.x + facing * 0.04, f.y}, leg_w * 0.9, look.shoes);
    }
  } else {
    // back leg first so the front one overlaps it
    for (int i = 1; i >= 0; --i) {
      const double lx = (i == 0 ? -lateral : lateral);
      const cv::Point2d top(lx, hip.y);
      const cv::Point2d k = top + dir_from_down(thigh_a[i]) * thigh;
      const cv::Point2d f = k + dir_from_down(shin_a[i]) * shin;
      const cv::Scalar c = i == 1 ? trousers * 0.85 : trousers;
      line(top, k, leg_w, c);
      line(k, f, leg_w * 0.9, c);
      line(f, f + cv::Point2d(facing * 0.045 * (0.3 + side), 0.0), leg_w * 0.8, look.shoes);
    }
  }

  // Torso from hip to shoulders, leaning forward (towards facing in profile; shortened
  // towards the camera otherwise).
  const double lean_x = facing * std::sin(torso_lean) * side;
  const double lean_y =
      std::cos(torso_lean) * side + (1.0 - (1.0 - std::cos(torso_lean)) * 0.8) * front;
  const cv::Point2d shoulder = hip + cv::Point2d(lean_x, lean_y) * torso_len;
  {
    const cv::Point2d axis = shoulder - hip;
    const double an = std::max(1e-9, std::hypot(axis.x, axis.y));
    const cv::Point2d perp(-axis.y / an * torso_w / 2, axis.x / an * torso_w / 2);
    const cv::Point2d hb = hip - axis * 0.08;
    Prim p{Prim::Kind::kPoly,
           {img(hb.x + perp.x, hb.y + perp.y), img(hb.x - perp.x, hb.y - perp.y),
            img(shoulder.x - perp.x * 1.1, shoulder.y - perp.y * 1.1),
            img(shoulder.x + perp.x * 1.1, shoulder.y + perp.y * 1.1)},
           0.0,
           look.shirt};
    s.prims.push_back(p);
  }
  // Head above the shoulders, along the torso axis.
  const cv::Point2d axis_u = (shoulder - hip) * (1.0 / torso_len);
  const cv::Point2d neck = shoulder + axis_u * 0.03;
  const cv::Point2d head = shoulder + axis_u * 0.095;
  line(shoulder, neck, 0.05, look.skin);
  s.prims.push_back({Prim::Kind::kCircle, {img(head.x, head.y), {}, {}, {}}, 0.062 * h, look.skin});
  s.prims.push_back({Prim::Kind::kCircle,
                     {img(head.x - facing * 0.012 * side, head.y + 0.022), {}, {}, {}},
                     0.05 * h,
                     look.hair});

  // Arms swing against the legs.
  for (int i = 0; i < 2; ++i) {
    const double sgn = i == 0 ? -1.0 : 1.0;
    const double ax = (i == 0 ? -1 : 1) * (torso_w / 2 + 0.01) * front;
    const cv::Point2d top = shoulder + cv::Point2d(ax, -0.02);
    double a = sgn * arm_swing * sw + torso_lean * 0.3;
    double e = elbow;
    if (st.pose == Pose::kBend) {
      a = torso_lean * 0.95;  // hanging towards the ground
      e = 0.0;
    }
    if (seated || ground_seated) {
      a = 0.35;
      e = 0.9;
    }
    const cv::Point2d el = top + dir_from_down(a) * upper_arm;
    const cv::Point2d hand = el + dir_from_down(a + e) * fore_arm;
    const cv::Scalar c = i == 0 ? look.shirt * 0.8 : look.shirt;
    line(top, el, arm_w, c);
    line(el, hand, arm_w * 0.9, c);
    line(hand, hand + (hand - el) * 0.15, arm_w * 0.9, look.skin);
    if (i == 1 && st.carrying_bag) {
      // a shoulder bag / holdall hanging from the near hand
      const double bw = 0.42 / look.height_m / 2, bh = 0.3 / look.height_m;
      const double bx = hand.x, by = hand.y - 0.01;
      Prim bag{Prim::Kind::kPoly,
               {img(bx - bw, by), img(bx + bw, by), img(bx + bw, by - bh), img(bx - bw, by - bh)},
               0.0,
               {40, 45, 60}};
      s.prims.push_back(bag);
    }
  }
  return s;
}

}  // namespace

Appearance Appearance::random(Rng& rng) {
  static const std::vector<cv::Scalar> shirts = {
      {40, 40, 40},   {200, 200, 200}, {150, 60, 20},  {40, 40, 160}, {30, 110, 40},
      {120, 120, 60}, {70, 70, 140},   {160, 130, 90}, {20, 20, 20},  {60, 160, 200},
      {180, 80, 140}, {90, 60, 40},    {230, 230, 235}};
  static const std::vector<cv::Scalar> trousers = {{50, 35, 25}, {30, 30, 30},  {110, 80, 50},
                                                   {70, 70, 70}, {60, 90, 120}, {140, 130, 120}};
  static const std::vector<cv::Scalar> skins = {
      {160, 190, 230}, {120, 150, 200}, {80, 110, 160}, {50, 75, 110}, {140, 170, 215}};
  static const std::vector<cv::Scalar> hairs = {
      {20, 20, 25}, {30, 45, 70}, {60, 90, 130}, {140, 140, 140}};
  Appearance a;
  a.shirt = jitter(rng, pick(rng, shirts), 0.15);
  a.trousers = jitter(rng, pick(rng, trousers), 0.15);
  a.skin = pick(rng, skins);
  a.hair = pick(rng, hairs);
  a.shoes = jitter(rng, {25, 25, 30}, 0.3);
  a.height_m = rng.uniform(1.6, 1.9);
  a.build = rng.uniform(0.9, 1.15);
  return a;
}

PersonScript::PersonScript(Point start, double start_time_s, Appearance appearance,
                           bool carrying_bag)
    : appearance_(appearance), start_time_(start_time_s), carrying_(carrying_bag), cursor_(start) {}

double PersonScript::end_time() const {
  return steps_.empty() ? start_time_ : steps_.back().t1;
}

PersonScript& PersonScript::move(Pose pose, Point target, double speed) {
  const double d = cv::norm(target - cursor_);
  if (d > 1e-9) heading_ = (target - cursor_) * (1.0 / d);
  const double t0 = end_time();
  steps_.push_back({pose, t0, t0 + d / speed, cursor_, target, heading_, dist_});
  dist_ += d;
  cursor_ = target;
  return *this;
}

PersonScript& PersonScript::hold(Pose pose, double duration) {
  const double t0 = end_time();
  steps_.push_back({pose, t0, t0 + duration, cursor_, cursor_, heading_, dist_});
  return *this;
}

PersonScript& PersonScript::walk_to(Point target, double speed_mps) {
  return move(Pose::kWalk, target, speed_mps);
}
PersonScript& PersonScript::run_to(Point target, double speed_mps) {
  return move(Pose::kRun, target, speed_mps);
}
PersonScript& PersonScript::stand(double d) {
  return hold(Pose::kStand, d);
}
PersonScript& PersonScript::sit_bench(double d) {
  return hold(Pose::kSitBench, d);
}
PersonScript& PersonScript::sit_ground(double d) {
  return hold(Pose::kSitGround, d);
}
PersonScript& PersonScript::fall(double d) {
  return hold(Pose::kFall, d);
}
PersonScript& PersonScript::lie(double d) {
  return hold(Pose::kLie, d);
}
PersonScript& PersonScript::bend(double d, bool drop_bag) {
  if (drop_bag && carrying_ && bag_drop_time_ < 0) bag_drop_time_ = end_time() + d / 2;
  return hold(Pose::kBend, d);
}
PersonScript& PersonScript::face(Point heading) {
  const double n = cv::norm(heading);
  if (n > 1e-9) heading_ = heading * (1.0 / n);
  return *this;
}
PersonScript& PersonScript::then_leave() {
  leaves_ = true;
  return *this;
}

PersonState PersonScript::at(double t) const {
  PersonState st;
  if (t < start_time_ || steps_.empty()) return st;
  if (t >= end_time() && leaves_) return st;
  const auto it =
      std::find_if(steps_.begin(), steps_.end(), [t](const Step& s) { return t < s.t1; });
  const Step& s = it == steps_.end() ? steps_.back() : *it;
  const double span = s.t1 - s.t0;
  const double u = span > 1e-9 ? std::clamp((t - s.t0) / span, 0.0, 1.0) : 1.0;
  st.present = true;
  st.pose = s.pose;
  st.ground = s.p0 + (s.p1 - s.p0) * u;
  st.heading = s.heading;
  st.progress = u;
  const double walked = s.dist0 + cv::norm(st.ground - s.p0);
  st.phase = 2.0 * kPi * walked / stride_m(s.pose);
  st.carrying_bag = carrying_ && (bag_drop_time_ < 0 || t < bag_drop_time_);
  return st;
}

cv::Rect2d BodyRenderer::box(const PersonState& state, const Appearance& look) const {
  if (!state.present) return {};
  return build_shape(camera_, state, look).bounds();
}

void BodyRenderer::draw(cv::Mat& bgr, const PersonState& state, const Appearance& look) const {
  if (!state.present) return;
  draw_shape(bgr, build_shape(camera_, state, look));
}

void darken_ellipse(cv::Mat& bgr, cv::Point2d centre, cv::Size2d axes, double factor) {
  const cv::Rect full(0, 0, bgr.cols, bgr.rows);
  const cv::Rect r = cv::Rect(static_cast<int>(std::floor(centre.x - axes.width)) - 1,
                              static_cast<int>(std::floor(centre.y - axes.height)) - 1,
                              static_cast<int>(std::ceil(2 * axes.width)) + 3,
                              static_cast<int>(std::ceil(2 * axes.height)) + 3) &
                     full;
  if (r.empty()) return;
  cv::Mat mask(r.size(), CV_8U, cv::Scalar(0));
  cv::ellipse(mask, fixed(centre - cv::Point2d(r.x, r.y)),
              cv::Size(static_cast<int>(axes.width * kSub), static_cast<int>(axes.height * kSub)),
              0, 0, 360, cv::Scalar(255), cv::FILLED, cv::LINE_AA, kShift);
  cv::Mat roi = bgr(r);
  const int k = static_cast<int>(std::lround((1.0 - factor) * 256));
  for (int y = 0; y < r.height; ++y) {
    auto* px = roi.ptr<std::uint8_t>(y);
    const auto* m = mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < r.width; ++x) {
      if (m[x] == 0) continue;
      const int keep = 256 - (k * m[x]) / 255;
      for (int c = 0; c < 3; ++c)
        px[3 * x + c] = static_cast<std::uint8_t>((px[3 * x + c] * keep) >> 8);
    }
  }
}

void BodyRenderer::draw_shadow(cv::Mat& bgr, const PersonState& state,
                               const Appearance& look) const {
  if (!state.present) return;
  const double ppm = camera_.pixels_per_metre(state.ground);
  // The sun is behind-left of the camera: shadows fall forward-right.
  const bool down = state.pose == Pose::kLie || state.pose == Pose::kFall;
  const double len = down ? 0.9 : 0.55 * look.height_m / 1.75;
  const cv::Point2d c = camera_.project_ground(state.ground + Point(len * 0.6, 0.25));
  const double squash = 0.45;
  darken_ellipse(bgr, c, {len * ppm * 0.9, 0.3 * ppm * squash + 1.0}, 0.55);
}

}  // namespace vigie::synth
