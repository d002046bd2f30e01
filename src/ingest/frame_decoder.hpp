#pragma once
// Decoding of one stream's packets, and scaling of chosen frames to the analysis image.
// Runs in step(), on whichever pool worker holds the camera.

#include <memory>

#include <opencv2/core/mat.hpp>

#include "core/frame.hpp"
#include "core/hwaccel.hpp"
#include "core/status.hpp"
#include "ingest/hw_decode.hpp"
#include "ingest/libav.hpp"

namespace vigie::ingest {

/// Decoder settings that trade picture quality for CPU.
struct DecoderTuning {
  bool skip_loop_filter = true;      ///< AVDISCARD_ALL on the deblocking filter
  bool skip_non_reference = false;   ///< skip_frame = AVDISCARD_NONREF
  HwAccel hwaccel = HwAccel::kNone;  ///< device to decode on; software when it is missing
};

/// A single-threaded decoder for one connection's video stream.
class FrameDecoder {
 public:
  /// Opens a decoder for `stream`: kUnimplemented when no decoder exists for the codec. A
  /// hardware decoder that cannot be set up is not an error: the decoder runs in software and
  /// hw().fallback_reason says why.
  static Result<std::unique_ptr<FrameDecoder>> open(std::shared_ptr<const av::StreamInfo> stream,
                                                    const DecoderTuning& tuning);

  /// Feeds a packet (nullptr: end of stream, drain). Errors are per packet and not fatal.
  Status send(const AVPacket* packet);
  /// The next decoded frame, or nullptr when the decoder needs more input. The frame stays
  /// valid until the next call. Errors are per frame and not fatal.
  Result<const AVFrame*> receive();
  /// Discards buffered state, e.g. before a keyframe that follows dropped packets.
  void flush();

  [[nodiscard]] const av::StreamInfo& stream() const { return *stream_; }
  /// The device decoding runs on, or why it runs in software.
  [[nodiscard]] const HwDecode& hw() const { return hw_; }
  /// Seconds since the connection's first packet.
  [[nodiscard]] double pts_s(const AVFrame& frame) const;

 private:
  FrameDecoder() = default;
  /// Allocates and opens ctx_ for hw_'s decoder and device.
  Status open_context(const AVCodecParameters& par, AVRational time_base,
                      const DecoderTuning& tuning);
  std::shared_ptr<const av::StreamInfo> stream_;
  HwDecode hw_;  // before ctx_: its get_format reads it until the context is freed
  av::CodecContextPtr ctx_;
  av::FramePtr frame_;
  av::FramePtr staging_;  // a device frame copied to system memory
};

/// Makes `sws` (kept across frames, rebuilt only when the frame's size or format changes)
/// convert `frame` to `size` in `format`: area averaging when scaling, plain copy when not.
/// False when libswscale cannot convert that frame's format.
bool prepare_scaler(av::SwsPtr& sws, const AVFrame& frame, cv::Size size, AVPixelFormat format);

/// Converts decoded frames to BGR at a target width, keeping the aspect ratio (even height).
class BgrScaler {
 public:
  /// Writes into `out` (reallocated only when the size changes). width <= 0: source width.
  Status scale(const AVFrame& frame, int width, cv::Mat& out);

  /// The analysis size for a source size: width as asked, height rounded to even.
  static cv::Size target_size(int source_width, int source_height, int width);

 private:
  av::SwsPtr sws_;
};

/// A decoded frame kept by reference (its buffers are shared, not copied), read region by
/// region: the detector's crops at source resolution.
class AvSourcePicture final : public SourcePicture {
 public:
  /// Takes a new reference to `frame`'s buffers; the decoder goes on with fresh ones.
  explicit AvSourcePicture(const AVFrame& frame);
  [[nodiscard]] cv::Size size() const override;
  [[nodiscard]] cv::Mat region(const cv::Rect& area, cv::Size size) const override;

 private:
  av::FramePtr frame_;
};

}  // namespace vigie::ingest
