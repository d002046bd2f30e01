#pragma once
// Rendered clips are masked and encoded in YUV 4:2:0, the form the camera's decoder gives and
// x264 takes: a 720p picture is scaled straight to the rendered size without a round trip
// through BGR, which cost about a fifth of an alert's evidence. Only the snapshot is
// converted to BGR, once, to be annotated. Used on the evidence worker only.

#include <opencv2/core/mat.hpp>

#include "core/status.hpp"
#include "ingest/libav.hpp"

namespace vigie::evidence {

/// A picture in planar YUV 4:2:0, limited range, BT.601 (libswscale's default, what the
/// encoders here are given): the luma plane at full size, each chroma plane at half the
/// width and height rounded up, a chroma sample shared by a 2 x 2 block of luma pixels.
struct Yuv420 {
  cv::Mat y;  ///< CV_8UC1, full size
  cv::Mat u;  ///< CV_8UC1, (width + 1) / 2 x (height + 1) / 2
  cv::Mat v;  ///< CV_8UC1, same size as u

  /// Allocates the three planes for a picture of `size` (contents undefined).
  static Yuv420 make(cv::Size size);
  [[nodiscard]] cv::Size size() const { return y.size(); }
  [[nodiscard]] bool empty() const { return y.empty(); }
  /// A deep copy.
  [[nodiscard]] Yuv420 clone() const;
  /// The chroma samples that any pixel of `luma` (a rectangle in luma pixels) shares in.
  [[nodiscard]] static cv::Rect chroma_cover(const cv::Rect& luma);
  /// The chroma samples that only pixels of `luma` share in.
  [[nodiscard]] static cv::Rect chroma_inside(const cv::Rect& luma);
};

/// The chroma samples (CV_8U 255) that any pixel of `luma_mask` (CV_8U, non-zero = set)
/// shares in: the mask at chroma size, grown to whole 2 x 2 blocks.
cv::Mat chroma_mask(const cv::Mat& luma_mask);

/// A BGR colour as (Y, U, V) in the limited-range BT.601 form of Yuv420.
cv::Scalar yuv_of(const cv::Scalar& bgr);

/// Converts a BGR picture (even or odd size) to YUV 4:2:0, each chroma sample the mean of
/// its block. For tests and for callers that hold BGR.
Yuv420 to_yuv420(const cv::Mat& bgr);

/// Converts to BGR, chroma interpolated as libswscale does.
cv::Mat to_bgr(const Yuv420& image);

/// Scales decoded frames to YUV 4:2:0 at a target width, keeping the aspect ratio; the sizes
/// are ingest::BgrScaler's, so a rendering has the same size in either form.
class Yuv420Scaler {
 public:
  /// Writes into `out`, reallocated only when the size changes. width <= 0: source width.
  Status scale(const AVFrame& frame, int width, Yuv420& out);

 private:
  ingest::av::SwsPtr sws_;
};

}  // namespace vigie::evidence
