#pragma once
// The unit of work handed from ingestion to analysis.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

namespace vigie {

/// Cameras are named by their configured id (letters, digits, '-' and '_').
using CameraId = std::string;

/// The decoded picture a frame was scaled from, kept so that a small region can be read at
/// full resolution (what the detector is shown) without converting the whole picture.
class SourcePicture {
 public:
  virtual ~SourcePicture() = default;
  /// Source pixels.
  [[nodiscard]] virtual cv::Size size() const = 0;
  /// The BGR pixels of `area` (source pixels), scaled to `size`; empty when `area` is not
  /// inside the picture or cannot be converted. Thread: any.
  [[nodiscard]] virtual cv::Mat region(const cv::Rect& area, cv::Size size) const = 0;
};

/// One decoded, sampled and downscaled frame for analysis.
struct Frame {
  CameraId camera;
  /// Presentation time in seconds since the first frame of the current connection.
  double pts_s = 0.0;
  /// Wall-clock time at which the frame was decoded.
  std::chrono::system_clock::time_point wall;
  /// Sequence number of analysed frames for this camera, from 0.
  std::int64_t index = 0;
  /// Size of the source video, in pixels (zones are configured in these coordinates).
  int source_width = 0;
  int source_height = 0;
  /// Analysis image, BGR, scaled to the camera's analysis width.
  cv::Mat bgr;
  /// The source picture, where the ingest keeps it (null otherwise: images built in memory).
  std::shared_ptr<const SourcePicture> source;
};

}  // namespace vigie
