#pragma once
// The analysis of one camera: perceive -> track -> rules, built from its configuration.
// Per-camera state; process() is called by one worker at a time, in frame order.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "config/config.hpp"
#include "core/frame.hpp"
#include "engine/detection_service.hpp"
#include "evidence/person_history.hpp"
#include "perceive/analysis_mask.hpp"
#include "perceive/background.hpp"
#include "perceive/blobs.hpp"
#include "perceive/fire.hpp"
#include "perceive/flow.hpp"
#include "perceive/person_scale.hpp"
#include "perceive/privacy_map.hpp"
#include "perceive/view_check.hpp"
#include "rules/rule.hpp"
#include "track/tracker.hpp"

namespace vigie::engine {

/// Milliseconds spent per stage, summed over `frames` analysed frames: for benchmarks and
/// /metrics. Divide by frames for the cost per frame.
struct StageTimes {
  double background_ms = 0;
  double blobs_ms = 0;
  double flow_ms = 0;
  double fire_ms = 0;
  double track_ms = 0;
  double rules_ms = 0;
  double privacy_ms = 0;        ///< what the images leaving the node hide (PrivacyMap)
  double detector_wait_ms = 0;  ///< synchronous detector inferences inside analysis
  std::uint64_t frames = 0;

  StageTimes& operator+=(const StageTimes& o);
  [[nodiscard]] double total_ms() const;
};

class CameraAnalysis {
 public:
  /// `detection`: the node's detector, or null (every rule decides on classical vision, and
  /// weapon is unavailable).
  CameraAnalysis(std::shared_ptr<const config::CameraConfig> camera, std::string config_version,
                 rules::AlertSink sink, std::shared_ptr<DetectionService> detection = nullptr);

  /// Analyses one frame. `allowed`: the event types that may be evaluated (null: all).
  void process(const Frame& frame, const std::set<EventType>* allowed = nullptr);
  /// What to hide in the last processed frame (source pixels): every region that may hold a
  /// person, for the images that leave the node (evidence, the camera wall).
  [[nodiscard]] const evidence::TimedBoxes& privacy() const { return privacy_; }

  /// Whether the camera still sees the view its rules were set up on; while it does not,
  /// no rule is evaluated. Read from the thread that calls process().
  [[nodiscard]] const perceive::ViewState& view() const { return view_check_.state(); }
  /// The view as it is now becomes the reference (a supervisor accepted it). From the
  /// thread that calls process().
  void accept_view() { view_check_.accept(); }

  /// Rules that cannot run here, with the reason (e.g. weapon without a detector).
  [[nodiscard]] const std::vector<std::string>& unavailable() const { return unavailable_; }
  /// Stage times summed since construction. Read only from the thread that calls process(),
  /// or after the camera has stopped.
  [[nodiscard]] const StageTimes& stage_times() const { return times_; }

 private:
  void build(const Frame& frame);
  /// The blob stage's findings in one frame, light and ghosts taken out.
  struct Objects {
    std::vector<perceive::Blob> moving;
    std::vector<perceive::Blob> still;  ///< static objects, ghosts removed
    cv::Mat foreground;                 ///< what area measures count (density)
    cv::Mat foreground_held;            ///< the same, with the places static in the last seconds
  };
  Objects find_objects(const Frame& frame, const perceive::ForegroundMasks& masks);
  /// Source-pixel box to analysis pixels.
  [[nodiscard]] cv::Rect to_analysis(const cv::Rect2d& box) const;
  /// Folds the frame into the privacy map and sets privacy_.
  void update_privacy(const Frame& frame, const perceive::ForegroundMasks& masks,
                      const std::vector<track::Track>& tracks,
                      const std::vector<perceive::Blob>& moving,
                      const std::vector<perceive::Blob>& still);
  /// Removes the blobs whose content is the background's pattern under other light.
  void drop_lighting(const cv::Mat& frame, const cv::Mat& background,
                     std::vector<perceive::Blob>& blobs) const;

  std::shared_ptr<const config::CameraConfig> camera_;
  std::string config_version_;
  rules::AlertSink sink_;
  std::shared_ptr<DetectionService> detection_;
  std::optional<rules::DetectorLink> link_;
  const Frame* current_ = nullptr;  ///< the frame being processed, for detector requests
  std::vector<std::string> unavailable_;

  bool built_ = false;
  bool mark_ghosts_ = false;  ///< tell moving ghosts from people (person_on_ground needs it)
  double to_source_ = 1.0;
  double last_t_ = -1;
  std::optional<perceive::PersonScale> scale_;
  std::optional<perceive::AnalysisMask> analysis_mask_;
  std::optional<perceive::DualBackground> background_;
  std::optional<perceive::FlowField> flow_;
  std::optional<perceive::FireDetector> fire_;
  std::optional<track::Tracker> tracker_;
  rules::CameraGeometry geometry_;
  std::vector<std::pair<EventType, std::unique_ptr<rules::Rule>>> rules_;
  perceive::PrivacyMap privacy_map_;
  perceive::ViewCheck view_check_;
  evidence::TimedBoxes privacy_;
  std::chrono::system_clock::time_point frame_wall_;
  StageTimes times_;
  /// Places (analysis pixels) of the static shapes the area measures counted, and when.
  std::vector<std::pair<cv::Rect, double>> recent_static_;
  /// How long a static shape's place stays counted after it was last seen.
  static constexpr double kRecentStaticS = 2.0;
};

}  // namespace vigie::engine
