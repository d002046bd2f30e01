#pragma once
// Synthetic scenes with ground truth: a fixed camera over a street, people walking, and
// the distractors that fool real analytics. Every test, demo and benchmark renders here.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string_view>
#include <vector>

#include "core/status.hpp"

namespace vigie::synth {

/// Changes whenever the same scenario and seed would render differently, so that caches of
/// rendered scenes (demo, evaluation) know to render again.
inline constexpr int kRendererVersion = 4;

/// Names accepted by render_scenario(), in a stable order.
const std::vector<std::string_view>& scenario_names();

/// Something done to the camera itself from a moment on, for testing view checks.
enum class ViewTamper {
  kNone,
  kMoved,    ///< knocked: the view shifts by a tenth of its width and a twentieth of its height
  kCovered,  ///< a dark cloth over the lens
  kBlurred,  ///< the focus ring turned: defocused
  kBlinded,  ///< a strong lamp into the lens: most of the image saturates
};

struct RenderOptions {
  int width = 640;
  int height = 360;
  double fps = 25.0;
  std::optional<double> duration_s;  ///< default: the scenario's own length
  /// > 0: encode at this average bitrate (kbit/s), as a camera does; 0: constant quality.
  int bitrate_kbps = 0;
  ViewTamper tamper = ViewTamper::kNone;
  double tamper_s = 0;  ///< from this time on
};

struct RenderStats {
  int frames = 0;
  double video_seconds = 0.0;
  double wall_seconds = 0.0;
};

/// Renders `name` with `seed` into out_dir: video.mp4 (H.264), truth.json, camera.yaml.
/// Deterministic for a seed and options. InvalidArgument for an unknown scenario.
Result<RenderStats> render_scenario(std::string_view name, std::uint64_t seed,
                                    const std::filesystem::path& out_dir,
                                    const RenderOptions& options = {});

}  // namespace vigie::synth
