#pragma once
// H.264 in MP4 through libavcodec/libavformat: libx264, yuv420p, no B-frames, a GOP of
// about two seconds, one thread and bit-exact muxing, so a given input always gives the
// same bytes.

#include <filesystem>
#include <memory>

#include <opencv2/core/mat.hpp>

#include "core/status.hpp"

namespace vigie::synth {

struct VideoWriterOptions {
  double fps = 25.0;
  int crf = 26;
  /// > 0: average bitrate in kbit/s (capped at 1.5 times that over 2 s, as a camera's
  /// encoder would be) instead of constant quality `crf`.
  int bitrate_kbps = 0;
  const char* preset = "veryfast";  ///< x264 preset
};

/// Writes BGR frames to an MP4 file. Not thread-safe; one writer per file.
class H264Writer {
 public:
  ~H264Writer();
  H264Writer(const H264Writer&) = delete;
  H264Writer& operator=(const H264Writer&) = delete;

  /// Opens the file. Unavailable when libx264 is missing, InvalidArgument for bad sizes
  /// (width and height must be even), NotFound when the file cannot be created.
  static Result<std::unique_ptr<H264Writer>> open(const std::filesystem::path& path, cv::Size size,
                                                  const VideoWriterOptions& options = {});
  /// Encodes one BGR frame of the opened size.
  Status write(const cv::Mat& bgr);
  /// Flushes the encoder and writes the trailer. Called by the destructor if needed.
  Status close();

 private:
  struct Impl;
  explicit H264Writer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigie::synth
