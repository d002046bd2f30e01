#pragma once
// Synthetic scenes rendered on demand, for the demo and the evaluation suite.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "core/status.hpp"

namespace vigie::synth {

struct SceneRequest {
  std::string scenario;
  std::uint64_t seed = 1;
  std::filesystem::path dir;
};

/// Renders every requested scene whose folder is not complete yet, on `workers` threads
/// (0: one per core). Each renders into "<dir>.partial" and is renamed when done, so an
/// interrupted run never leaves a folder that looks complete.
Status ensure_scenes(const std::vector<SceneRequest>& requests, std::size_t workers = 0);

}  // namespace vigie::synth
