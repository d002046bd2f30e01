#pragma once
// Scenario scripts: who walks where and when, what burns, which zones, lines and rules
// the camera has. Pure data built from a seed; scene.cpp renders it and derives events.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "synth/effects.hpp"
#include "synth/layout.hpp"
#include "synth/pedestrian.hpp"

namespace vigie::synth {

/// A bag put down by a person: on the ground from the owner's drop time.
struct BagSpec {
  int owner = 0;  ///< index into ScenarioScript::people
  Point ground;   ///< where it rests
  double drop_s = 0.0;
};

/// How the scenario's truth events are derived from the script.
enum class EventRule {
  kNone,         ///< a negative scenario
  kZoneTransit,  ///< subject's foot inside `zone` (wrong_way, intrusion)
  kCrowdRush,    ///< from `event_time_s` for 5 s over `zone`
  kDensity,      ///< persons per m^2 in `zone` above 4
  kAbandoned,    ///< owner of bag 0 more than 3 m away, to the end
  kLying,        ///< subject lying, to the end
  kFire,         ///< from the fire start to the end
};

struct ScenarioScript {
  double default_duration_s = 25.0;
  std::vector<PersonScript> people;
  std::vector<BagSpec> bags;
  EffectsSpec effects;
  EventRule rule = EventRule::kNone;
  EventType event_type = EventType::kIntrusion;
  int subject = -1;             ///< person the event is about
  GroundRect zone{0, 0, 0, 0};  ///< ground zone the event is about
  std::string zone_id;          ///< its id in camera.yaml
  double event_time_s = 0.0;
  std::string note;
  config::CameraConfig camera;  ///< zones, lines and rules (id, name and url set by the caller)
};

/// Builds a named scenario for a clip of `duration_s` (nullopt: the scenario's default).
/// nullopt for an unknown name.
std::optional<ScenarioScript> build_scenario(std::string_view name, std::uint64_t seed,
                                             const CameraModel& camera,
                                             std::optional<double> duration_s);

}  // namespace vigie::synth
