#pragma once
// The parameters of each rule type, declared once: each struct holds its type's keys with
// their defaults (the initialisers), and its fields() names every key with its bounds and
// description. The same declaration parses a rule (config/schema.cpp), documents it
// (`vigie check-config --schema`), lists it for alerts and the journal (rule_parameters) and
// writes it back (to_json). Adding a rule type: docs/adding-a-rule.md.
//
// fields(f) calls, on any `f` that has them:
//   f.number(key, double&, min, max, description)
//   f.integer(key, int&, min, max, description)
//   f.identifiers(key, std::vector<std::string>&, description)   (ids: letters, digits, - _)
// check(error) reports bounds between fields as error(key, message).

#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/event_type.hpp"

namespace vigie::config {

/// The alert hygiene a rule type starts from (RuleConfig::inertia_s, clear_s, cooldown_s).
struct Hygiene {
  double inertia_s = 1.0;    ///< condition holds this long before an alert
  double clear_s = 3.0;      ///< ... and is false this long before the situation ends
  double cooldown_s = 30.0;  ///< no new alert for the same zone within this after an end
};

/// wrong_way: a track covering ground against its zone's allowed direction.
struct WrongWayParams {
  static constexpr EventType kType = EventType::kWrongWay;
  static constexpr Hygiene kHygiene{.inertia_s = 0.4, .clear_s = 3.0, .cooldown_s = 30.0};

  double tolerance_deg = 60;        ///< angle around the reverse direction
  double min_displacement_m = 2.0;  ///< distance covered against the direction
  double min_speed_m_s = 0.4;       ///< slower movement does not count

  template <typename Fields>
  void fields(Fields& f) {
    f.number("tolerance_deg", tolerance_deg, 10, 90,
             "movement within this angle of the reverse direction is wrong way.");
    f.number("min_displacement_m", min_displacement_m, 0.2, 50,
             "distance covered against the allowed direction (metres, or 1.7 m per standing "
             "height without calibration).");
    f.number("min_speed_m_s", min_speed_m_s, 0, 10, "slower movement does not count.");
  }
};

/// intrusion: a person-sized object inside a zone, or crossing a tripwire.
struct IntrusionParams {
  static constexpr EventType kType = EventType::kIntrusion;
  static constexpr Hygiene kHygiene{.inertia_s = 0.4, .clear_s = 3.0, .cooldown_s = 30.0};

  double dwell_s = 1.0;              ///< time inside the zone
  double min_height_fraction = 0.4;  ///< smallest object, in standing-person heights

  template <typename Fields>
  void fields(Fields& f) {
    f.number("dwell_s", dwell_s, 0, 600, "seconds inside the zone.");
    f.number("min_height_fraction", min_height_fraction, 0.05, 2,
             "smallest object that counts, in standing-person heights.");
  }
};

/// crowd_movement: a moving crowd that rushes, disperses or surges.
struct CrowdMovementParams {
  static constexpr EventType kType = EventType::kCrowdMovement;
  static constexpr Hygiene kHygiene{.inertia_s = 0.6, .clear_s = 3.0, .cooldown_s = 60.0};

  double running_speed_m_s = 2.5;     ///< faster than this is running
  double rush_fraction = 0.3;         ///< share of moving people running
  double dispersal_divergence = 0.5;  ///< spreading rate, 1/s
  double min_crowd_persons = 6;       ///< fewer moving people is not a crowd

  template <typename Fields>
  void fields(Fields& f) {
    f.number("running_speed_m_s", running_speed_m_s, 1, 10,
             "faster than this on the ground is running.");
    f.number("rush_fraction", rush_fraction, 0.05, 1,
             "share of the moving crowd that runs, for a rush.");
    f.number("dispersal_divergence", dispersal_divergence, 0.02, 10,
             "rate at which the crowd spreads out (1/s), for a dispersal.");
    f.number("min_crowd_persons", min_crowd_persons, 1, 1000,
             "fewer moving people than this is not a crowd.");
  }
};

/// density: persons per square metre of a zone.
struct DensityParams {
  static constexpr EventType kType = EventType::kDensity;
  // Crowd safety acts on sustained density, not on a passing peak.
  static constexpr Hygiene kHygiene{.inertia_s = 5.0, .clear_s = 10.0, .cooldown_s = 120.0};

  double warn_per_m2 = 2.0;   ///< warning level (persons/m²)
  double alert_per_m2 = 4.0;  ///< alert level (persons/m²)

  template <typename Fields>
  void fields(Fields& f) {
    f.number("warn_per_m2", warn_per_m2, 0.1, 10, "warning level, persons per m².");
    f.number("alert_per_m2", alert_per_m2, 0.1, 10,
             "alert level, persons per m² (crowd-safety practice: above 4 is dangerous).");
  }
  template <typename Error>
  void check(Error&& error) const {
    if (alert_per_m2 < warn_per_m2) error("alert_per_m2", "must not be below warn_per_m2");
  }
};

/// abandoned_object: an object left still, its owner away.
struct AbandonedObjectParams {
  static constexpr EventType kType = EventType::kAbandonedObject;
  // The unattended time is the inertia.
  static constexpr Hygiene kHygiene{.inertia_s = 0.0, .clear_s = 5.0, .cooldown_s = 300.0};

  double owner_distance_m = 3.0;  ///< owner farther than this ...
  double unattended_s = 30.0;     ///< ... for this long

  template <typename Fields>
  void fields(Fields& f) {
    f.number("owner_distance_m", owner_distance_m, 0.5, 50,
             "the owner is farther than this from the object ...");
    f.number("unattended_s", unattended_s, 1, 3600, "... for this many seconds.");
  }
};

/// weapon: a weapon the detector model sees near a person, in enough analysed frames.
struct WeaponParams {
  static constexpr EventType kType = EventType::kWeapon;
  static constexpr Hygiene kHygiene{.inertia_s = 0.0, .clear_s = 5.0, .cooldown_s = 60.0};

  int confirm_frames = 3;       ///< detections needed ...
  int window_frames = 5;        ///< ... within this many analysed frames
  double min_confidence = 0.5;  ///< detector score

  template <typename Fields>
  void fields(Fields& f) {
    f.integer("confirm_frames", confirm_frames, 1, 100, "detections needed within window_frames.");
    f.integer("window_frames", window_frames, 1, 100, "analysed frames in the window.");
    f.number("min_confidence", min_confidence, 0.05, 1, "smallest detector score that counts.");
  }
  template <typename Error>
  void check(Error&& error) const {
    if (confirm_frames > window_frames) error("confirm_frames", "must not exceed window_frames");
  }
};

/// person_on_ground: a person down and nearly still.
struct PersonOnGroundParams {
  static constexpr EventType kType = EventType::kPersonOnGround;
  // dwell_s is the inertia.
  static constexpr Hygiene kHygiene{.inertia_s = 0.0, .clear_s = 5.0, .cooldown_s = 120.0};

  double dwell_s = 5.0;                    ///< time down
  double lying_height_fraction = 0.5;      ///< lower than this × standing height
  double max_ground_speed_m_s = 0.3;       ///< nearly still
  std::vector<std::string> exclude_zones;  ///< zones to ignore (benches)

  template <typename Fields>
  void fields(Fields& f) {
    f.number("dwell_s", dwell_s, 0, 600, "seconds down and still.");
    f.number("lying_height_fraction", lying_height_fraction, 0.1, 0.9,
             "lower than this fraction of the standing height is down.");
    f.number("max_ground_speed_m_s", max_ground_speed_m_s, 0, 5,
             "moving slower than this is still.");
    f.identifiers("exclude_zones", exclude_zones,
                  "zone ids where lying is normal (benches, lawns).");
  }
};

/// fire: a flame candidate that stays flame-like.
struct FireParams {
  static constexpr EventType kType = EventType::kFire;
  static constexpr Hygiene kHygiene{.inertia_s = 0.0, .clear_s = 10.0, .cooldown_s = 300.0};

  double dwell_s = 3.0;  ///< persistence

  template <typename Fields>
  void fields(Fields& f) {
    f.number("dwell_s", dwell_s, 0, 600, "seconds a flame persists.");
  }
};

/// The parameters of one rule: exactly those of its type. The alternatives are in
/// EventType's order.
using RuleParams =
    std::variant<WrongWayParams, IntrusionParams, CrowdMovementParams, DensityParams,
                 AbandonedObjectParams, WeaponParams, PersonOnGroundParams, FireParams>;

/// The type's parameters at their defaults.
RuleParams default_params(EventType type);

/// Calls `visit(params)` with a default-valued parameter struct of every type, in
/// EventType's order (schema documentation, key lookup).
template <typename Visit>
void for_each_params_type(Visit&& visit) {
  [&]<std::size_t... I>(std::index_sequence<I...>) {
    (visit(std::variant_alternative_t<I, RuleParams>{}), ...);
  }(std::make_index_sequence<std::variant_size_v<RuleParams>>{});
}

}  // namespace vigie::config
