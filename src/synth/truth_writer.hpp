#pragma once
// The two text outputs of a scenario: truth.json (events and per-frame person boxes, the
// format of shared/data/README.md plus "persons") and camera.yaml (one camera config).

#include <filesystem>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "core/status.hpp"
#include "synth/scene.hpp"

namespace vigie::synth {

/// Builds the truth document: video, fps, size, events, persons (one entry per frame).
nlohmann::ordered_json truth_json(const Scene& scene);
/// truth.json text: the document above, one line per frame in "persons".
std::string truth_text(const Scene& scene);
/// The camera.yaml text for the scene's camera config.
std::string camera_yaml(const config::CameraConfig& camera);

/// Writes text to a file; NotFound when it cannot be created.
Status write_text(const std::filesystem::path& path, const std::string& text);

}  // namespace vigie::synth
