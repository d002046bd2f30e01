#include "synth/scenarios.hpp"

#include <algorithm>
#include <cmath>

#include "synth/random.hpp"

namespace vigie::synth {
namespace {

using config::Line;
using config::RuleConfig;
using config::Zone;

double walk_speed(Rng& rng) {
  return rng.uniform(1.1, 1.6);
}

/// Where passers-by may walk, so that they never create events of their own.
struct Routes {
  bool lateral = true;       ///< across the image, in front of and behind the track area
  double corridor_x0 = 0.0;  ///< lengthwise corridor (facade door to the bottom edge)
  double corridor_x1 = 4.5;
  bool lengthwise = true;
};

void add_passers_by(ScenarioScript& s, Rng& rng, double duration, double on_screen, Routes routes) {
  const double path_time = 24.0;
  const int count = static_cast<int>(std::lround(on_screen * (duration + path_time) / path_time));
  for (int i = 0; i < count; ++i) {
    const bool lateral = routes.lateral && (!routes.lengthwise || rng.uniform(0, 1) < 0.6);
    Point a, b;
    if (lateral) {
      // Lateral routes pass in front of and behind the track area, never into it: the
      // negative scenarios must hold no real intrusion.
      const double y = rng.uniform(0, 1) < 0.5 ? rng.uniform(8.3, 9.6) : rng.uniform(27.6, 29.4);
      a = {-18.0, y};
      b = {18.0, y + rng.uniform(-0.3, 0.3)};
    } else {
      const double x = rng.uniform(routes.corridor_x0, routes.corridor_x1);
      a = {x, 29.6};
      b = {std::clamp(x + rng.uniform(-1.0, 1.0), routes.corridor_x0, routes.corridor_x1), 5.0};
    }
    if (rng.uniform(0, 1) < 0.5) std::swap(a, b);
    const double speed = walk_speed(rng);
    const double start = rng.uniform(-cv::norm(b - a) / speed, duration);
    const Point mid = (a + b) * 0.5 + Point(0, lateral ? rng.uniform(-0.3, 0.3) : 0.0);
    PersonScript p(a, start, Appearance::random(rng), rng.uniform(0, 1) < 0.15);
    p.walk_to(mid, speed).walk_to(b, speed).then_leave();
    s.people.push_back(p);
  }
}

Point image_direction(const CameraModel& cam, Point from, Point to) {
  const Point d = cam.project_ground(to) - cam.project_ground(from);
  const double n = std::hypot(d.x, d.y);
  return {std::round(d.x / n * 1000) / 1000, std::round(d.y / n * 1000) / 1000};
}

Zone make_zone(const CameraModel& cam, std::string id, std::string name, const GroundRect& r) {
  Zone z;
  z.id = std::move(id);
  z.name = std::move(name);
  z.polygon = project_rect(cam, r);
  z.person_height_px = std::round(cam.pixels_per_metre(r.centre()) * 1.75);
  return z;
}

Line gate_line(const CameraModel& cam) {
  Line l;
  l.id = "gate";
  l.name = "Track edge";
  l.a = cam.project_ground({layout::kTrack.x0, layout::kTrack.y0});
  l.b = cam.project_ground({layout::kTrack.x0, layout::kTrack.y1});
  l.a = {std::round(l.a.x * 10) / 10, std::round(l.a.y * 10) / 10};
  l.b = {std::round(l.b.x * 10) / 10, std::round(l.b.y * 10) / 10};
  const double ym = (layout::kTrack.y0 + layout::kTrack.y1) / 2;
  l.direction = image_direction(cam, {layout::kTrack.x0 - 0.5, ym}, {layout::kTrack.x0 + 0.5, ym});
  return l;
}

RuleConfig rule(EventType type, std::vector<std::string> zones = {}) {
  RuleConfig r;
  r.params = config::default_params(type);
  r.zones = std::move(zones);
  return r;
}

// --- scenarios -------------------------------------------------------------------------

void wrong_way(ScenarioScript& s, Rng& rng, const CameraModel& cam, double d) {
  const GroundRect& w = layout::kWalkway;
  // Walkers going the allowed way: away from the camera, then off to the left at the facade.
  const int n = static_cast<int>(std::lround(d / 4.0)) + 3;
  for (int i = 0; i < n; ++i) {
    const double x = rng.uniform(w.x0 + 0.4, w.x1 - 0.4);
    const double sp = walk_speed(rng);
    PersonScript p({x, 5.0}, rng.uniform(-14.0, d), Appearance::random(rng));
    p.walk_to({x + rng.uniform(-0.3, 0.3), 28.8}, sp).walk_to({-18.0, 28.8}, sp).then_leave();
    s.people.push_back(p);
  }
  // The one walking against it: in from the left along the facade, then down the walkway.
  const double sp = walk_speed(rng);
  const double x = (w.x0 + w.x1) / 2 + rng.uniform(-0.4, 0.4);
  PersonScript p({-11.0, 28.2}, rng.uniform(0.0, 2.0), Appearance::random(rng));
  p.walk_to({x, 28.2}, sp).walk_to({x, 4.0}, sp).then_leave();
  s.subject = static_cast<int>(s.people.size());
  s.people.push_back(p);
  add_passers_by(s, rng, d, 3.0, {});

  Zone z = make_zone(cam, "walkway", "Walkway", w);
  z.allowed_direction = image_direction(cam, {w.centre().x, 14.0}, {w.centre().x, 20.0});
  s.camera.zones.push_back(z);
  s.camera.rules.push_back(rule(EventType::kWrongWay, {"walkway"}));
  s.rule = EventRule::kZoneTransit;
  s.event_type = EventType::kWrongWay;
  s.zone = w;
  s.zone_id = "walkway";
  s.note = "a pedestrian walks down the walkway against its allowed direction";
}

void intrusion(ScenarioScript& s, Rng& rng, const CameraModel& cam, double d) {
  const double sp = walk_speed(rng);
  PersonScript p({1.0, 5.0}, 1.0, Appearance::random(rng));
  p.walk_to({4.8, 17.0}, sp)
      .walk_to({8.2, 18.5}, sp)
      .stand(rng.uniform(3.5, 5.0))
      .walk_to({9.0, 21.0}, 1.1)
      .walk_to({4.5, 22.5}, sp)
      .walk_to({3.5, 31.0}, sp)
      .then_leave();
  s.subject = 0;
  s.people.push_back(p);
  add_passers_by(s, rng, d, 4.0, {});
  s.effects.light_step_s = d * 0.72;
  s.effects.light_step_gain = 0.75;

  s.camera.zones.push_back(make_zone(cam, "track", "Track area", layout::kTrack));
  s.camera.lines.push_back(gate_line(cam));
  s.camera.rules.push_back(rule(EventType::kIntrusion, {"track", "gate"}));
  s.rule = EventRule::kZoneTransit;
  s.event_type = EventType::kIntrusion;
  s.zone = layout::kTrack;
  s.zone_id = "track";
  s.note = "a person crosses the track edge, stays on the track, then leaves";
}

void crowd_rush(ScenarioScript& s, Rng& rng, const CameraModel& cam, double d) {
  const GroundRect& plaza = layout::kPlaza;
  const double t_rush = std::min(10.0, d * 0.4);
  const int n = rng.integer(18, 26);
  const Point centre = plaza.centre();
  for (int i = 0; i < n; ++i) {
    Point pos(rng.uniform(plaza.x0, plaza.x1), rng.uniform(plaza.y0, plaza.y1));
    PersonScript p(pos, -1.0, Appearance::random(rng));
    // mill about: short walks between spots in the plaza, pauses between them
    while (p.end_time() < t_rush - 3.0) {
      const Point next(std::clamp(pos.x + rng.uniform(-2, 2), plaza.x0, plaza.x1),
                       std::clamp(pos.y + rng.uniform(-2, 2), plaza.y0, plaza.y1));
      p.walk_to(next, walk_speed(rng)).stand(rng.uniform(0.5, 2.5));
      pos = next;
    }
    p.stand(std::max(0.0, t_rush + rng.uniform(0.0, 0.4) - p.end_time()));
    Point away = pos - centre;
    const double n_away = std::max(0.3, cv::norm(away));
    away = away * (1.0 / n_away);
    p.run_to(pos + away * 22.0, rng.uniform(3.0, 5.0)).then_leave();
    s.people.push_back(p);
  }
  add_passers_by(s, rng, d, 2.0, {.lateral = true, .lengthwise = false});

  s.camera.zones.push_back(make_zone(cam, "plaza", "Plaza", plaza));
  s.camera.rules.push_back(rule(EventType::kCrowdMovement, {"plaza"}));
  s.rule = EventRule::kCrowdRush;
  s.event_type = EventType::kCrowdMovement;
  s.zone = plaza;
  s.zone_id = "plaza";
  s.event_time_s = t_rush;
  s.note = "a crowd in the plaza suddenly runs and disperses outward";
}

void dense_crowd(ScenarioScript& s, Rng& rng, const CameraModel& cam, double d) {
  const GroundRect& z = layout::kDenseZone;
  std::vector<Point> slots;
  for (int j = 0; j < 5; ++j)
    for (int i = 0; i < 6; ++i) slots.emplace_back(z.x0 + 0.21 + 0.42 * i, z.y0 + 0.2 + 0.4 * j);
  for (size_t i = slots.size(); i > 1; --i)
    std::swap(slots[i - 1], slots[static_cast<size_t>(rng.integer(0, static_cast<int>(i) - 1))]);
  const int n = rng.integer(25, 28);
  const double gather_end = std::min(16.0, d * 0.6);
  for (int i = 0; i < n; ++i) {
    const Point slot =
        slots[static_cast<size_t>(i)] + Point(rng.uniform(-0.07, 0.07), rng.uniform(-0.07, 0.07));
    const double angle = rng.uniform(-2.6, -0.5);  // arrive from the sides and the back
    const Point from =
        slot + Point(std::cos(angle), -std::sin(angle)) * rng.uniform(9.0, 14.0) * -1.0;
    const double sp = walk_speed(rng);
    const double arrive = rng.uniform(2.0, gather_end);
    PersonScript p(from, arrive - cv::norm(slot - from) / sp, Appearance::random(rng));
    p.walk_to(slot, sp).face({0, -1}).stand(d + 1.0);
    s.people.push_back(p);
  }
  add_passers_by(s, rng, d, 2.0, {.lateral = true, .lengthwise = false});

  s.camera.zones.push_back(make_zone(cam, "gathering", "Gathering spot", z));
  s.camera.rules.push_back(rule(EventType::kDensity, {"gathering"}));
  s.rule = EventRule::kDensity;
  s.event_type = EventType::kDensity;
  s.zone = z;
  s.zone_id = "gathering";
  s.note = "people gather until the density exceeds 4 persons per square metre";
}

const Point kBagSpot{0.3, 14.1};

// A walker brings a bag to the spot by the bench and puts it down; returns the owner index.
int drop_bag(ScenarioScript& s, Rng& rng, double start) {
  PersonScript p({3.4, 5.0}, start, Appearance::random(rng), true);
  p.walk_to(kBagSpot, walk_speed(rng)).face({-0.2, 1}).bend(2.0, true);
  const Point heading(-0.196, 0.981);
  s.bags.push_back(
      {static_cast<int>(s.people.size()), kBagSpot + heading * 0.45, p.bag_drop_time()});
  s.people.push_back(p);
  return static_cast<int>(s.people.size()) - 1;
}

void abandoned_bag(ScenarioScript& s, Rng& rng, const CameraModel&, std::optional<double> want,
                   double& d) {
  const int owner = drop_bag(s, rng, 1.0);
  const double sp = walk_speed(rng);
  s.people[static_cast<size_t>(owner)]
      .walk_to({-2.0, 8.8}, sp)
      .walk_to({-18.0, 8.6}, sp)
      .then_leave();
  // the owner is > 3 m from the bag about 3 s after leaving; the rule then waits 30 s
  const double leave = s.people[static_cast<size_t>(owner)].bag_drop_time() + 1.0;
  d = want.value_or(std::ceil(leave + 3.0 + 46.0));
  add_passers_by(s, rng, d, 3.0, {.corridor_x0 = 2.8, .corridor_x1 = 4.5});
  s.effects.light_step_s = d * 0.6;
  s.effects.light_step_gain = 1.25;
  s.camera.rules.push_back(rule(EventType::kAbandonedObject));
  s.rule = EventRule::kAbandoned;
  s.event_type = EventType::kAbandonedObject;
  s.subject = owner;
  s.note = "a bag is put down by the bench and its owner walks away out of view";
}

void attended_bag(ScenarioScript& s, Rng& rng, double d) {
  const int owner = drop_bag(s, rng, 1.0);
  PersonScript& p = s.people[static_cast<size_t>(owner)];
  p.walk_to({-1.1, 14.05}, 0.9).face({0, -1}).sit_bench(rng.uniform(8.0, 12.0)).stand(3.0);
  p.walk_to({0.9, 15.3}, 0.9).face({0, -1}).stand(d + 1.0);
  add_passers_by(s, rng, d, 3.0, {.corridor_x0 = 2.8, .corridor_x1 = 4.5});
  s.camera.rules.push_back(rule(EventType::kAbandonedObject));
  s.note = "a bag is put down; its owner stays within 2 m of it";
}

void person_fall(ScenarioScript& s, Rng& rng, double d) {
  const double sp = walk_speed(rng);
  const Point spot(1.2, 15.6);
  const Point from(-14.0, 15.4);
  const double t_fall = std::min(8.0, d * 0.35);
  PersonScript p(from, t_fall - cv::norm(spot - from) / sp, Appearance::random(rng));
  p.walk_to(spot, sp).fall(1.0).lie(d + 5.0);
  s.subject = 0;
  s.people.push_back(p);
  add_passers_by(s, rng, d, 3.0, {.corridor_x0 = 2.6, .corridor_x1 = 4.5});
  s.camera.rules.push_back(rule(EventType::kPersonOnGround));
  s.rule = EventRule::kLying;
  s.event_type = EventType::kPersonOnGround;
  s.note = "a pedestrian falls and lies still";
}

void person_sitting(ScenarioScript& s, Rng& rng, double d) {
  PersonScript bench({3.0, 5.0}, 0.5, Appearance::random(rng));
  bench.walk_to({-1.3, 12.5}, walk_speed(rng))
      .walk_to({-1.3, 14.05}, 0.8)
      .face({0, -1})
      .sit_bench(d + 5.0);
  s.people.push_back(bench);
  PersonScript ground({18.0, 28.0}, 2.0, Appearance::random(rng));
  ground.walk_to({2.0, 26.0}, walk_speed(rng))
      .walk_to({1.8, 21.0}, walk_speed(rng))
      .face({0, -1})
      .sit_ground(d + 5.0);
  s.people.push_back(ground);
  add_passers_by(s, rng, d, 3.0, {.corridor_x0 = 2.6, .corridor_x1 = 4.5});
  s.camera.rules.push_back(rule(EventType::kPersonOnGround));
  s.note = "one person sits on the bench, another on the ground: not lying";
}

void fire(ScenarioScript& s, Rng& rng, double d) {
  const double t_fire = std::min(6.0, d * 0.3);
  s.effects.fire = FireSpec{layout::kBin, 0.9, t_fire};
  add_passers_by(s, rng, d, 3.0, {});
  s.camera.rules.push_back(rule(EventType::kFire));
  s.rule = EventRule::kFire;
  s.event_type = EventType::kFire;
  s.event_time_s = t_fire;
  s.note = "a litter bin catches fire; flames grow and grey smoke rises";
}

void normal(ScenarioScript& s, Rng& rng, const CameraModel& cam, double d) {
  add_passers_by(s, rng, d, 5.0, {});
  // two people meet and chat for a while
  const Point spot(3.5, 19.0);
  PersonScript a({3.0, 29.6}, 1.0, Appearance::random(rng));
  a.walk_to(spot, 1.3).face({1, 0}).stand(8.0).walk_to({3.0, 5.0}, 1.3).then_leave();
  // Both come from and go to the platform side: nobody in this negative scene steps onto the
  // track area.
  PersonScript b({-18.0, 20.0}, 0.0, Appearance::random(rng));
  b.walk_to(spot + Point(0.8, 0), 1.4)
      .face({-1, 0})
      .stand(9.0)
      .walk_to({-18.0, 18.0}, 1.4)
      .then_leave();
  s.people.push_back(a);
  s.people.push_back(b);
  s.effects.light_step_s = d * 0.5;
  s.effects.light_step_gain = 0.7;
  s.camera.zones.push_back(make_zone(cam, "track", "Track area", layout::kTrack));
  s.camera.zones.push_back(make_zone(cam, "plaza", "Plaza", layout::kPlaza));
  s.camera.lines.push_back(gate_line(cam));
  s.camera.rules.push_back(rule(EventType::kIntrusion, {"track", "gate"}));
  s.camera.rules.push_back(rule(EventType::kFire));
  s.camera.rules.push_back(rule(EventType::kAbandonedObject));
  s.camera.rules.push_back(rule(EventType::kPersonOnGround));
  s.camera.rules.push_back(rule(EventType::kCrowdMovement, {"plaza"}));
  s.camera.rules.push_back(rule(EventType::kDensity, {"plaza"}));
  s.note = "ordinary traffic, distractors and a sudden change of light";
}

}  // namespace

std::optional<ScenarioScript> build_scenario(std::string_view name, std::uint64_t seed,
                                             const CameraModel& camera,
                                             std::optional<double> duration_s) {
  Rng rng(seed);
  ScenarioScript s;
  double d = duration_s.value_or(25.0);
  if (name == "wrong_way") {
    wrong_way(s, rng, camera, d);
  } else if (name == "intrusion") {
    intrusion(s, rng, camera, d);
  } else if (name == "crowd_rush") {
    crowd_rush(s, rng, camera, d);
  } else if (name == "dense_crowd") {
    d = duration_s.value_or(30.0);
    dense_crowd(s, rng, camera, d);
  } else if (name == "abandoned_bag") {
    abandoned_bag(s, rng, camera, duration_s, d);
  } else if (name == "attended_bag") {
    d = duration_s.value_or(40.0);
    attended_bag(s, rng, d);
  } else if (name == "person_fall") {
    person_fall(s, rng, d);
  } else if (name == "person_sitting") {
    person_sitting(s, rng, d);
  } else if (name == "fire") {
    fire(s, rng, d);
  } else if (name == "normal") {
    normal(s, rng, camera, d);
  } else {
    return std::nullopt;
  }
  s.default_duration_s = d;
  return s;
}

}  // namespace vigie::synth
