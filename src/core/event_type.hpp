#pragma once
// The closed list of situations vigie may signal. The law allows these eight and no
// others, so this enum is deliberately not extensible from configuration.

#include <array>
#include <optional>
#include <string_view>

namespace vigie {

enum class EventType {
  kWrongWay,         ///< movement against the allowed direction
  kIntrusion,        ///< crossing into, or presence in, a forbidden zone
  kCrowdMovement,    ///< sudden surge, rush or dispersal
  kDensity,          ///< excessive crowd density
  kAbandonedObject,  ///< object left unattended
  kWeapon,           ///< presence or use of a weapon (needs a detector model)
  kPersonOnGround,   ///< person lying on the ground
  kFire,             ///< start of fire or smoke
};

inline constexpr std::array<EventType, 8> kAllEventTypes = {
    EventType::kWrongWay,        EventType::kIntrusion,
    EventType::kCrowdMovement,   EventType::kDensity,
    EventType::kAbandonedObject, EventType::kWeapon,
    EventType::kPersonOnGround,  EventType::kFire};

/// Wire name, e.g. "wrong_way" (the names used in config, truth.json and the API).
std::string_view to_string(EventType type);
/// Parses a wire name; nullopt for anything outside the eight.
std::optional<EventType> parse_event_type(std::string_view name);

}  // namespace vigie
