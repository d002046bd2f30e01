#pragma once
// Loading a configuration is all or nothing: either every line is valid and a Config is
// returned, or the errors (each with key path and line) are, and nothing is applied.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "config/section.hpp"
#include "core/status.hpp"

namespace vigie::config {

/// The outcome of a load: a Config, or every error found.
struct LoadResult {
  std::optional<Config> config;
  std::vector<ConfigError> errors;
  [[nodiscard]] bool ok() const { return config.has_value(); }
  /// All errors, one per line, prefixed by the source name.
  [[nodiscard]] std::string error_text(std::string_view source) const;
};

/// Parses a whole node configuration from YAML text. `base_dir` resolves relative camera
/// URLs and data paths. `env` overrides getenv for ${NAME} (tests).
LoadResult parse_config(std::string_view yaml_text, const std::filesystem::path& base_dir,
                        ParseContext context = {});

/// Reads and parses a file; a missing or unreadable file is one error.
LoadResult load_config_file(const std::filesystem::path& path);

/// Parses a single-camera file (the camera.yaml beside an annotated clip): one camera
/// mapping, whose relative url is resolved against the file's folder.
struct CameraLoadResult {
  std::optional<CameraConfig> camera;
  std::vector<ConfigError> errors;
  [[nodiscard]] bool ok() const { return camera.has_value(); }
  [[nodiscard]] std::string error_text(std::string_view source) const;
};
CameraLoadResult load_camera_file(const std::filesystem::path& path);

/// The keys of a camera's geometry, what the console edits: "zones", "lines", "calibration",
/// "privacy_masks" and "analysis_masks".
const std::vector<std::string>& geometry_keys();

/// A camera with its geometry replaced: `geometry` is a mapping (JSON or YAML text) with
/// any of the geometry_keys() (calibration null: none), in the shapes of the configuration
/// file; a key left out keeps the camera's current value. It is
/// validated by the same declarations and checks as a configuration file, including the
/// camera's rules still naming existing zones and lines; error paths start at the
/// geometry's root ("zones[1].polygon", "rules[0].zones[0]").
CameraLoadResult with_geometry(const CameraConfig& camera, std::string_view geometry);

/// Every key of the schema with its kind, default, bounds and description.
std::vector<FieldDoc> describe_schema();

/// A short hash of the configuration's meaning, recorded with alerts (hex).
std::string config_version(const Config& config);

}  // namespace vigie::config
