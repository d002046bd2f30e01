#pragma once
// Field declarations of the configuration (see schema.cpp). Internal to config/.

#include "config/config.hpp"
#include "config/section.hpp"

namespace vigie::config {

/// Declares (and reads) every key of one camera mapping.
void parse_camera(Section& s, CameraConfig& camera);
/// Declares (and reads) every key of a whole node configuration.
void parse_node(Section& s, Config& config);

}  // namespace vigie::config
