#pragma once
// JSON view of a configuration: for `vigie check-config`, the API, and the version hash.

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace vigie::config {

/// With redacted = true, URL credentials and secret fields are replaced by "***".
nlohmann::json to_json(const Config& config, bool redacted = true);
nlohmann::json to_json(const CameraConfig& camera, bool redacted = true);
/// A camera's geometry only: "zones", "lines", "calibration" (null when absent) and
/// "privacy_masks", in the keys and shapes of the configuration file.
nlohmann::json geometry_json(const CameraConfig& camera);

}  // namespace vigie::config
