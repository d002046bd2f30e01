#include "config/config.hpp"

namespace vigie::config {

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
