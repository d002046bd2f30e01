#include "core/event_type.hpp"

#include "core/bug.hpp"

namespace vigie {

std::string_view to_string(EventType type) {
  switch (type) {
    case EventType::kWrongWay: return "wrong_way";
    case EventType::kIntrusion: return "intrusion";
    case EventType::kCrowdMovement: return "crowd_movement";
    case EventType::kDensity: return "density";
    case EventType::kAbandonedObject: return "abandoned_object";
    case EventType::kWeapon: return "weapon";
    case EventType::kPersonOnGround: return "person_on_ground";
    case EventType::kFire: return "fire";
  }
  VIGIE_BUG("event type out of its enum");
  return "unknown";
}

std::optional<EventType> parse_event_type(std::string_view name) {
  for (EventType t : kAllEventTypes) {
    if (to_string(t) == name) return t;
  }
  return std::nullopt;
}

}  // namespace vigie
