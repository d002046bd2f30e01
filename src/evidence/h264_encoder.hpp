#pragma once
// H.264 in MP4 for masked evidence clips: libx264, yuv420p, no B-frames, the source's own
// timestamps (a camera's frame times are kept, jitter included), moov atom in front.
// Unlike synth::H264Writer (fixed rate, bit-exact output for reproducible scenes), this one
// keeps the source's timing and sits below synth in the module order.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include <opencv2/core/mat.hpp>

#include "core/status.hpp"
#include "evidence/yuv420.hpp"
#include "ingest/libav.hpp"

namespace vigie::evidence {

/// Encoder settings. The time base is the one of the pts given to write().
struct H264Settings {
  AVRational time_base{1, 90000};
  AVRational frame_rate{0, 1};  ///< nominal rate (rate control, last frame's duration); {0,1}: 10
  int crf = 28;
  const char* preset = "veryfast";
  /// More x264 options (key=value, ':' between) over the preset; empty: none. libavcodec
  /// logs an option x264 does not know and goes on without it.
  std::string x264_params;
  bool faststart = true;  ///< moov in front, so a browser plays the clip before it is all loaded
};

/// Writes YUV 4:2:0 frames of one size to an MP4 file. Not thread-safe; one encoder per file.
class H264FileEncoder {
 public:
  ~H264FileEncoder();
  H264FileEncoder(const H264FileEncoder&) = delete;
  H264FileEncoder& operator=(const H264FileEncoder&) = delete;

  /// Opens `path` (the MP4 format is forced, whatever the extension). kInvalidArgument for
  /// odd or empty sizes, kUnavailable without libx264, kNotFound if the file cannot be made.
  static Result<std::unique_ptr<H264FileEncoder>> open(const std::filesystem::path& path,
                                                       cv::Size size, const H264Settings& settings);
  /// Encodes one frame (copied: `image` may be reused at once); a pts not above the
  /// previous one is moved just after it.
  Status write(const Yuv420& image, std::int64_t pts);
  /// Flushes and writes the trailer (and moves the index to the front). Idempotent.
  Status close();
  /// Frames written so far.
  [[nodiscard]] std::int64_t frames() const;

 private:
  struct Impl;
  explicit H264FileEncoder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigie::evidence
