#pragma once
// Frame-level access to a synthetic scenario: any frame can be rendered on its own, with
// the ground truth of that instant. render_scenario() (scenario.hpp) drives this to write
// files; tests use it to check pixels against truth.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/mat.hpp>

#include "config/config.hpp"
#include "core/event_type.hpp"
#include "core/geometry.hpp"
#include "core/status.hpp"
#include "synth/camera_model.hpp"
#include "synth/pedestrian.hpp"
#include "synth/scenario.hpp"

namespace vigie::synth {

/// One visible person in one frame.
struct PersonTruth {
  int id = 0;      ///< stable for the scenario
  cv::Rect2d box;  ///< pixels, clipped to the image; covers the body and a carried bag
  Point ground;    ///< foot position on the ground, metres
  Pose pose = Pose::kStand;
};

/// The truth of one frame.
struct FrameTruth {
  int index = 0;
  double t = 0.0;  ///< seconds from the first frame
  std::vector<PersonTruth> persons;
};

/// A span during which an operator should be alerted (the truth.json events).
struct EventTruth {
  EventType type = EventType::kIntrusion;
  double start_s = 0.0;
  double end_s = 0.0;
  cv::Rect2d region;  ///< pixels of the source video
  std::string note;
};

/// What to draw; tests switch layers off to isolate what they check.
struct RenderLayers {
  bool people = true;       ///< persons (and what they carry)
  bool shadows = true;      ///< persons' ground shadows
  bool distractors = true;  ///< lighting drift and steps, clouds, foliage, lamp, beacon, panel
  bool noise = true;        ///< sensor noise
};

class Scene {
 public:
  ~Scene();
  Scene(const Scene&) = delete;
  Scene& operator=(const Scene&) = delete;

  /// Builds a scenario. InvalidArgument for an unknown name or bad options.
  static Result<std::unique_ptr<Scene>> create(std::string_view name, std::uint64_t seed,
                                               const RenderOptions& options = {});

  [[nodiscard]] const std::string& name() const;
  [[nodiscard]] std::uint64_t seed() const;
  [[nodiscard]] int frame_count() const;
  [[nodiscard]] double fps() const;
  [[nodiscard]] double duration_s() const;
  [[nodiscard]] cv::Size size() const;

  /// Truth of frame `index` without drawing.
  [[nodiscard]] FrameTruth truth_at(int index) const;
  /// Draws frame `index` into bgr (CV_8UC3, reallocated if needed) and returns its truth.
  /// Const and independent of other frames: frames can be rendered in any order.
  FrameTruth render(int index, cv::Mat& bgr, const RenderLayers& layers = {}) const;

  /// The scenario's events (empty for negatives).
  [[nodiscard]] const std::vector<EventTruth>& events() const;
  /// The camera configuration written to camera.yaml (url "video.mp4").
  [[nodiscard]] const config::CameraConfig& camera_config() const;
  [[nodiscard]] const CameraModel& camera() const;
  /// The static background (ground, facade, furniture) before lighting and noise.
  [[nodiscard]] const cv::Mat& background() const;
  /// Persons per square metre inside the gathering zone at frame `index` (dense_crowd).
  [[nodiscard]] double zone_density(int index) const;

  struct Impl;

 private:
  explicit Scene(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigie::synth
