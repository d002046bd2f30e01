#include "config/config.hpp"

namespace vigie::config {

RuleConfig rule_defaults(EventType type) {
  RuleConfig r;
  r.type = type;
  switch (type) {
    case EventType::kIntrusion:
      r.inertia_s = 0.4;
      r.dwell_s = 1.0;
      break;
    case EventType::kWrongWay: r.inertia_s = 0.4; break;
    case EventType::kCrowdMovement:
      r.inertia_s = 0.6;
      r.clear_s = 3.0;
      r.cooldown_s = 60.0;
      break;
    case EventType::kDensity:
      r.inertia_s = 5.0;  // crowd safety acts on sustained density, not on a passing peak
      r.clear_s = 10.0;
      r.cooldown_s = 120.0;
      break;
    case EventType::kAbandonedObject:
      r.inertia_s = 0.0;  // the unattended time is the inertia
      r.clear_s = 5.0;
      r.cooldown_s = 300.0;
      break;
    case EventType::kPersonOnGround:
      r.inertia_s = 0.0;  // dwell_s is the inertia
      r.dwell_s = 5.0;
      r.clear_s = 5.0;
      r.cooldown_s = 120.0;
      break;
    case EventType::kFire:
      r.inertia_s = 0.0;
      r.dwell_s = 3.0;
      r.clear_s = 10.0;
      r.cooldown_s = 300.0;
      break;
    case EventType::kWeapon:
      r.inertia_s = 0.0;
      r.clear_s = 5.0;
      r.cooldown_s = 60.0;
      break;
  }
  return r;
}

std::vector<std::pair<std::string, double>> rule_parameters(const RuleConfig& r) {
  std::vector<std::pair<std::string, double>> p = {
      {"inertia_s", r.inertia_s}, {"clear_s", r.clear_s}, {"cooldown_s", r.cooldown_s}};
  auto add = [&](const char* k, double v) { p.emplace_back(k, v); };
  switch (r.type) {
    case EventType::kIntrusion:
      add("dwell_s", r.dwell_s);
      add("min_height_fraction", r.min_height_fraction);
      break;
    case EventType::kWrongWay:
      add("tolerance_deg", r.tolerance_deg);
      add("min_displacement_m", r.min_displacement_m);
      add("min_speed_m_s", r.min_speed_m_s);
      break;
    case EventType::kCrowdMovement:
      add("running_speed_m_s", r.running_speed_m_s);
      add("rush_fraction", r.rush_fraction);
      add("dispersal_divergence", r.dispersal_divergence);
      add("min_crowd_persons", r.min_crowd_persons);
      break;
    case EventType::kDensity:
      add("warn_per_m2", r.warn_per_m2);
      add("alert_per_m2", r.alert_per_m2);
      break;
    case EventType::kAbandonedObject:
      add("owner_distance_m", r.owner_distance_m);
      add("unattended_s", r.unattended_s);
      break;
    case EventType::kPersonOnGround:
      add("dwell_s", r.dwell_s);
      add("lying_height_fraction", r.lying_height_fraction);
      add("max_ground_speed_m_s", r.max_ground_speed_m_s);
      break;
    case EventType::kFire: add("dwell_s", r.dwell_s); break;
    case EventType::kWeapon:
      add("confirm_frames", r.confirm_frames);
      add("window_frames", r.window_frames);
      add("min_confidence", r.min_confidence);
      break;
  }
  return p;
}

// What an operator typically does about a confirmed alert of each type: call the service
// that acts on it, send someone, clear the area, or keep the camera in view.
std::map<EventType, std::vector<std::string>> AlertsConfig::default_measures() {
  return {
      {EventType::kWeapon, {"police_called", "patrol_sent", "area_evacuated", "camera_followed"}},
      {EventType::kFire,
       {"fire_brigade_called", "area_evacuated", "patrol_sent", "camera_followed"}},
      {EventType::kPersonOnGround,
       {"ambulance_called", "patrol_sent", "first_aid", "camera_followed"}},
      {EventType::kCrowdMovement,
       {"police_called", "patrol_sent", "organiser_warned", "camera_followed"}},
      {EventType::kDensity, {"organiser_warned", "patrol_sent", "access_closed", "camera_followed"}},
      {EventType::kIntrusion, {"patrol_sent", "police_called", "camera_followed"}},
      {EventType::kWrongWay, {"patrol_sent", "camera_followed"}},
      {EventType::kAbandonedObject,
       {"patrol_sent", "police_called", "area_evacuated", "camera_followed"}},
  };
}

}  // namespace vigie::config
