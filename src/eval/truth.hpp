#pragma once
// Ground truth of one annotated clip, read from its truth.json (format in docs/eval.md).

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <opencv2/core/types.hpp>

#include "core/event_type.hpp"
#include "core/status.hpp"

namespace vigie::eval {

/// One situation an operator should be alerted to.
struct TruthEvent {
  EventType type = EventType::kIntrusion;
  /// Seconds from the first frame: when the operator should start being alerted.
  double start_s = 0.0;
  /// Seconds from the first frame: when the situation is over (end_s >= start_s).
  double end_s = 0.0;
  /// Where the situation is, in pixels of the source video.
  cv::Rect2d region;
  /// Free text for people; not used by matching.
  std::string note;
};

/// Every person's box in one frame (synthetic scenes give them), for the leak measure.
struct TruthPersons {
  double t_s = 0.0;                ///< seconds from the first frame
  std::vector<cv::Rect2d> boxes;   ///< pixels of the source video
};

/// A clip and its ground truth. A clip with no events is a negative.
struct TruthClip {
  /// The video, resolved against the folder of truth.json ("video" field).
  std::filesystem::path path;
  /// The truth.json it was read from; empty when parsed from text.
  std::filesystem::path truth_path;
  double fps = 0.0;
  int width = 0;
  int height = 0;
  /// Clip length in seconds, from "duration" or "frames"/fps when the file gives one.
  std::optional<double> duration_s;
  std::vector<TruthEvent> events;
  /// Per frame, by time, when the file gives them ("persons"); empty otherwise.
  std::vector<TruthPersons> persons;
};

/// Parses the text of a truth.json. `source` names it in error messages (usually the path)
/// and `base_dir` resolves the relative "video" path. Errors are kInvalidArgument and name
/// the field, e.g. "truth.json: events[2].type: 'smoke' is not one of the eight event types".
/// Unknown keys are rejected.
Result<TruthClip> parse_truth(std::string_view text, std::string_view source,
                              const std::filesystem::path& base_dir = {});

/// Reads and parses a truth.json file: kNotFound when it cannot be read, otherwise as
/// parse_truth() with the file's path as `source`.
Result<TruthClip> load_truth(const std::filesystem::path& truth_json);

}  // namespace vigie::eval
