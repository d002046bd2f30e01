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

// Body proportions, in height fractions.
constexpr double kThigh = 0.25, kShin = 0.25, kUpperArm = 0.17, kForeArm = 0.16;
constexpr double kTorsoLength = 0.29;

// How the camera sees the body: turns local body units (height fractions, x right, y up,
// origin at the feet) into image pixels. `facing` is +1/-1 (image direction of travel),
// `side` in 0..1 is how much of the profile the camera sees (1: walking across the image).
struct BodyView {
  cv::Point2d foot;       // image pixels
  double h = 0;           // body height, image pixels
  double side = 0;        // 1: seen in profile
  double front = 0;       // 1 - side
  double facing = 1;      // +1/-1
  double ct = 1, sn = 0;  // whole-body rotation about the feet (falling / lying)

  cv::Point2d img(double x, double y) const {
    // rotate (x, y) by tilt (clockwise on screen when facing right), then to pixels
    const double rx = x * ct + y * sn;
    const double ry = -x * sn + y * ct;
    return {foot.x + rx * h, foot.y - ry * h};
  }
  cv::Point2d dir_from_down(double angle) const {  // forward-positive angle from straight down
    return {facing * std::sin(angle) * side, -std::cos(angle)};
  }
  void line(Shape& s, cv::Point2d a, cv::Point2d b, double w, const cv::Scalar& c) const {
    s.prims.push_back({Prim::Kind::kLine, {img(a.x, a.y), img(b.x, b.y), {}, {}}, w * h, c});
  }
};

BodyView view_of(const CameraModel& cam, const PersonState& st, const Appearance& look) {
  BodyView v;
  v.foot = cam.project_ground(st.ground);
  v.h = look.height_m * cam.pixels_per_metre(st.ground);
  const cv::Point2d ahead = cam.project_ground(st.ground + st.heading * 0.5);
  cv::Point2d dir = ahead - v.foot;
  const double dn = std::max(1e-9, std::hypot(dir.x, dir.y));
  dir /= dn;
  v.side = std::abs(dir.x);
  v.facing = dir.x >= 0 ? 1.0 : -1.0;
  v.front = 1.0 - v.side;
  double tilt = 0.0;
  if (st.pose == Pose::kFall) tilt = st.progress * st.progress * kPi / 2;
  if (st.pose == Pose::kLie) tilt = kPi / 2;
  v.ct = std::cos(tilt * v.facing);
  v.sn = std::sin(tilt * v.facing);
  return v;
}

// The pose's joint angles and heights, before the gait phase swings them.
struct Gait {
  double hip_y = 0.52;
  double torso_lean = 0.0;  // forward lean, radians
  double leg_swing = 0.0, arm_swing = 0.0, knee = 0.0, elbow = 0.15;
  bool seated = false, ground_seated = false;

  bool sitting() const { return seated || ground_seated; }
};

Gait gait_of(const PersonState& st) {
  Gait g;
  switch (st.pose) {
    case Pose::kWalk:
      g.leg_swing = 0.38;
      g.arm_swing = 0.3;
      g.knee = 0.25;
      break;
    case Pose::kRun:
      g.leg_swing = 0.7;
      g.arm_swing = 0.8;
      g.knee = 0.9;
      g.elbow = 1.4;
      g.torso_lean = 0.22;
      break;
    case Pose::kBend: {
      const double b = std::sin(std::clamp(st.progress, 0.0, 1.0) * kPi);  // down then up
      g.torso_lean = 1.25 * b;
      g.hip_y = 0.52 - 0.06 * b;
      g.knee = 0.5 * b;
      break;
    }
    case Pose::kSitBench:
      g.seated = true;
      g.hip_y = 0.27;
      break;
    case Pose::kSitGround:
      g.ground_seated = true;
      g.hip_y = 0.06;
      break;
    default: break;
  }
  return g;
}

double torso_width(const BodyView& v, const Appearance& look) {
  return (0.19 * v.front + 0.12 * v.side) * look.build;
}

// Seated legs point at the camera: foreshortened, they run down the image.
void add_seated_legs(Shape& s, const BodyView& v, const Gait& g, const Appearance& look) {
  const double leg_w = 0.07 * look.build;
  for (int i = 0; i < 2; ++i) {
    const double lx = (i == 0 ? -1 : 1) * 0.055 * look.build;
    const cv::Point2d k(lx + v.facing * 0.2 * v.side, g.hip_y - 0.05);
    v.line(s, {lx, g.hip_y}, k, leg_w, look.trousers);
    const cv::Point2d f =
        g.seated ? cv::Point2d(k.x, -0.04) : cv::Point2d(k.x + v.facing * 0.2 * v.side, -0.1);
    v.line(s, k, f, leg_w * 0.9, look.trousers);
    v.line(s, f, {f.x + v.facing * 0.04, f.y}, leg_w * 0.9, look.shoes);
  }
}

// Standing legs swing with the gait phase, the two in opposition.
void add_standing_legs(Shape& s, const BodyView& v, const Gait& g, const PersonState& st,
                       const Appearance& look) {
  const double sw = std::sin(st.phase);
  double thigh_a[2] = {0, 0};
  double shin_a[2] = {0, 0};
  for (int i = 0; i < 2; ++i) {
    const double sgn = i == 0 ? 1.0 : -1.0;
    thigh_a[i] = sgn * g.leg_swing * sw;
    // the knee flexes on the swing (forward-moving) leg
    const double flex =
        g.knee * std::max(0.0, sgn * std::cos(st.phase)) + (g.knee > 0.6 ? 0.3 : 0.0);
    shin_a[i] = thigh_a[i] - flex;
  }
  const double leg_w = 0.07 * look.build;
  const double lateral = 0.045 * v.front * look.build;
  // back leg first so the front one overlaps it
  for (int i = 1; i >= 0; --i) {
    const double lx = (i == 0 ? -lateral : lateral);
    const cv::Point2d top(lx, g.hip_y);
    const cv::Point2d k = top + v.dir_from_down(thigh_a[i]) * kThigh;
    const cv::Point2d f = k + v.dir_from_down(shin_a[i]) * kShin;
    const cv::Scalar c = i == 1 ? look.trousers * 0.85 : look.trousers;
    v.line(s, top, k, leg_w, c);
    v.line(s, k, f, leg_w * 0.9, c);
    v.line(s, f, f + cv::Point2d(v.facing * 0.045 * (0.3 + v.side), 0.0), leg_w * 0.8, look.shoes);
  }
}

// Torso from hip to shoulders, leaning forward (towards facing in profile; shortened towards
// the camera otherwise). Returns the shoulders, where the head and arms attach.
cv::Point2d add_torso(Shape& s, const BodyView& v, const Gait& g, const Appearance& look) {
  const cv::Point2d hip(0, g.hip_y);
  const double lean_x = v.facing * std::sin(g.torso_lean) * v.side;
  const double lean_y =
      std::cos(g.torso_lean) * v.side + (1.0 - (1.0 - std::cos(g.torso_lean)) * 0.8) * v.front;
  const cv::Point2d shoulder = hip + cv::Point2d(lean_x, lean_y) * kTorsoLength;
  const double torso_w = torso_width(v, look);
  const cv::Point2d axis = shoulder - hip;
  const double an = std::max(1e-9, std::hypot(axis.x, axis.y));
  const cv::Point2d perp(-axis.y / an * torso_w / 2, axis.x / an * torso_w / 2);
  const cv::Point2d hb = hip - axis * 0.08;
  Prim p{Prim::Kind::kPoly,
         {v.img(hb.x + perp.x, hb.y + perp.y), v.img(hb.x - perp.x, hb.y - perp.y),
          v.img(shoulder.x - perp.x * 1.1, shoulder.y - perp.y * 1.1),
          v.img(shoulder.x + perp.x * 1.1, shoulder.y + perp.y * 1.1)},
         0.0,
         look.shirt};
  s.prims.push_back(p);
  return shoulder;
}

// Head above the shoulders, along the torso axis, so that it bends with a lean or a fall.
void add_head(Shape& s, const BodyView& v, const Gait& g, cv::Point2d shoulder,
              const Appearance& look) {
  const cv::Point2d hip(0, g.hip_y);
  const cv::Point2d axis_u = (shoulder - hip) * (1.0 / kTorsoLength);
  const cv::Point2d neck = shoulder + axis_u * 0.03;
  const cv::Point2d head = shoulder + axis_u * 0.095;
  v.line(s, shoulder, neck, 0.05, look.skin);
  s.prims.push_back(
      {Prim::Kind::kCircle, {v.img(head.x, head.y), {}, {}, {}}, 0.062 * v.h, look.skin});
  s.prims.push_back({Prim::Kind::kCircle,
                     {v.img(head.x - v.facing * 0.012 * v.side, head.y + 0.022), {}, {}, {}},
                     0.05 * v.h,
                     look.hair});
}

// Arms swing against the legs; they hang towards the ground when bending and rest on the
// knees when seated. The near hand carries the bag, if any.
void add_arms(Shape& s, const BodyView& v, const Gait& g, const PersonState& st,
              cv::Point2d shoulder, const Appearance& look) {
  const double sw = std::sin(st.phase);
  const double torso_w = torso_width(v, look);
  const double arm_w = 0.045 * look.build;
  for (int i = 0; i < 2; ++i) {
    const double sgn = i == 0 ? -1.0 : 1.0;
    const double ax = (i == 0 ? -1 : 1) * (torso_w / 2 + 0.01) * v.front;
    const cv::Point2d top = shoulder + cv::Point2d(ax, -0.02);
    double a = sgn * g.arm_swing * sw + g.torso_lean * 0.3;
    double e = g.elbow;
    if (st.pose == Pose::kBend) {
      a = g.torso_lean * 0.95;  // hanging towards the ground
      e = 0.0;
    }
    if (g.sitting()) {
      a = 0.35;
      e = 0.9;
    }
    const cv::Point2d el = top + v.dir_from_down(a) * kUpperArm;
    const cv::Point2d hand = el + v.dir_from_down(a + e) * kForeArm;
    const cv::Scalar c = i == 0 ? look.shirt * 0.8 : look.shirt;
    v.line(s, top, el, arm_w, c);
    v.line(s, el, hand, arm_w * 0.9, c);
    v.line(s, hand, hand + (hand - el) * 0.15, arm_w * 0.9, look.skin);
    if (i == 1 && st.carrying_bag) {
      // a shoulder bag / holdall hanging from the near hand
      const double bw = 0.42 / look.height_m / 2, bh = 0.3 / look.height_m;
      const double bx = hand.x, by = hand.y - 0.01;
      Prim bag{Prim::Kind::kPoly,
               {v.img(bx - bw, by), v.img(bx + bw, by), v.img(bx + bw, by - bh),
                v.img(bx - bw, by - bh)},
               0.0,
               {40, 45, 60}};
      s.prims.push_back(bag);
    }
  }
}

// Builds the body in image pixels, back to front: legs, torso, head, arms.
Shape build_shape(const CameraModel& cam, const PersonState& st, const Appearance& look) {
  const BodyView view = view_of(cam, st, look);
  const Gait gait = gait_of(st);
  Shape s;
  if (gait.sitting()) {
    add_seated_legs(s, view, gait, look);
  } else {
    add_standing_legs(s, view, gait, st, look);
  }
  const cv::Point2d shoulder = add_torso(s, view, gait, look);
  add_head(s, view, gait, shoulder, look);
  add_arms(s, view, gait, st, shoulder, look);
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
