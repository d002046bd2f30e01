#pragma once
// Camera health as text, for the terminal (`vigie run`, `vigie demo`).

#include <string>
#include <vector>

#include "engine/camera_pipeline.hpp"

namespace vigie::engine {

/// One header line and one line per camera: id, state, fps, counters, reason.
std::string format_status_table(const std::vector<CameraStatus>& cameras);

}  // namespace vigie::engine
