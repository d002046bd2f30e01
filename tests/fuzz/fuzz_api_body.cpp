// API request bodies: any client that reaches the port can send one. The body is parsed
// with the server's nesting bound; an object is then read as the richest body the API
// takes, a camera geometry (zones, lines, calibration, privacy masks), validated against a
// configured camera as PUT /api/v1/cameras/{id}/geometry does.
#include <cstddef>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <string_view>

#include "api/json_body.hpp"
#include "config/loader.hpp"

namespace {

constexpr int kMaxDepth = 32;  // the server's default max_json_depth

const vigie::config::CameraConfig& base_camera() {
  static const vigie::config::CameraConfig camera = [] {
    auto loaded = vigie::config::parse_config(R"(
cameras:
  - id: gate
    url: /nonexistent/gate.mp4
    zones:
      - id: platform
        polygon: [[0, 0], [640, 0], [640, 360], [0, 360]]
        person_height_px: 120
        allowed_direction: [1, 0]
    lines:
      - id: walkway
        points: [[10, 300], [600, 300]]
        direction: [0, 1]
    rules:
      - type: intrusion
        zones: [platform, walkway]
      - type: wrong_way
        zones: [platform]
)",
                                              "/nonexistent-fuzz-base");
    if (!loaded.ok()) {
      // The fixture itself is wrong: nothing would be fuzzed.
      std::abort();
    }
    return loaded.config->cameras.front();
  }();
  return camera;
}

int depth_of(const nlohmann::json& j) {
  int deepest = 0;
  if (j.is_structured()) {
    for (const auto& child : j) deepest = std::max(deepest, depth_of(child));
    return deepest + 1;
  }
  return 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto body = vigie::api::parse_json_body(text, kMaxDepth);
  if (!body.is_ok()) return 0;
  // The bound is the defence against stack exhaustion: an accepted body never exceeds it.
  if (depth_of(*body) > kMaxDepth) std::abort();
  if (body->is_object()) {
    auto changed = vigie::config::with_geometry(base_camera(), body->dump());
    if (!changed.ok()) (void)changed.error_text("geometry");
  }
  return 0;
}
