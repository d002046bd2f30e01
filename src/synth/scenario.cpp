#include "synth/scenario.hpp"

#include <chrono>
#include <system_error>

#include <nlohmann/json.hpp>

#include "synth/scene.hpp"
#include "synth/truth_writer.hpp"
#include "synth/video_writer.hpp"

namespace vigie::synth {

const std::vector<std::string_view>& scenario_names() {
  static const std::vector<std::string_view> names = {
      "wrong_way",    "intrusion",   "crowd_rush",     "dense_crowd", "abandoned_bag",
      "attended_bag", "person_fall", "person_sitting", "fire",        "normal"};
  return names;
}

Result<RenderStats> render_scenario(std::string_view name, std::uint64_t seed,
                                    const std::filesystem::path& out_dir,
                                    const RenderOptions& options) {
  // Wall time is measured for the stats only; it never reaches the outputs.
  const auto started = std::chrono::steady_clock::now();
  auto scene = Scene::create(name, seed, options);
  if (!scene) return scene.status();
  const Scene& s = **scene;

  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) return not_found("cannot create " + out_dir.string() + ": " + ec.message());

  auto writer = H264Writer::open(out_dir / "video.mp4", s.size(),
                                 {.fps = s.fps(), .bitrate_kbps = options.bitrate_kbps});
  if (!writer) return writer.status();
  cv::Mat frame;
  for (int i = 0; i < s.frame_count(); ++i) {
    (void)s.render(i, frame);
    Status w = (*writer)->write(frame);
    if (!w.is_ok()) return w;
  }
  Status c = (*writer)->close();
  if (!c.is_ok()) return c;

  Status t = write_text(out_dir / "truth.json", truth_text(s));
  if (!t.is_ok()) return t;
  Status y = write_text(out_dir / "camera.yaml", camera_yaml(s.camera_config()));
  if (!y.is_ok()) return y;

  RenderStats stats;
  stats.frames = s.frame_count();
  stats.video_seconds = s.duration_s();
  stats.wall_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return stats;
}

}  // namespace vigie::synth
