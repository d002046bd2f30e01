#pragma once
// Reading stored clips back into packets, and decoding packets to BGR or YUV 4:2:0 frames.
// Used by the evidence renderers (on the evidence worker) and by tests.

#include <filesystem>
#include <functional>

#include <opencv2/core/mat.hpp>

#include "core/status.hpp"
#include "evidence/yuv420.hpp"
#include "ingest/packet_ring.hpp"

namespace vigie::evidence {

/// The video packets of a file (e.g. a stored raw.mp4), as a clip whose clock puts the first
/// packet at `first_s`: the stream time it had when the clip was cut.
/// kNotFound when the file cannot be opened, kDataLoss when it holds no video packet.
Result<ingest::ClipSnapshot> read_clip(const std::filesystem::path& path, double first_s = 0.0);

/// The form decode_clip() gives pictures in.
enum class PixelLayout {
  kBgr,     ///< DecodedFrame::bgr, a fresh image per frame
  kYuv420,  ///< DecodedFrame::yuv, the decoder's own form, one buffer reused for every frame
};

/// One decoded frame, at the decode's width (never wider than the source; even sizes).
struct DecodedFrame {
  double pts_s = 0.0;    ///< clip clock (seconds, as ClipSnapshot::from_s)
  cv::Size source_size;  ///< the coded picture size
  cv::Mat bgr;           ///< the picture with PixelLayout::kBgr
  /// The picture with PixelLayout::kYuv420; overwritten by the next frame, so a visitor
  /// keeps it by cloning it or by swapping it with a picture of its own.
  Yuv420 yuv;
};

/// How a decode went.
struct DecodeStats {
  int frames = 0;   ///< frames given to the visitor
  int corrupt = 0;  ///< frames and packets the decoder rejected or concealed (skipped)
};

/// Decodes every packet of `clip` in order (full quality: loop filter on) and calls `visit`
/// for each good frame, in presentation order, scaled to `max_width` when the source is
/// wider (0: the source's width), in `layout`. A visitor error stops the decode and is
/// returned.
/// kFailedPrecondition for an empty clip, kUnimplemented for an unknown codec, kDataLoss
/// when no frame at all could be decoded.
Result<DecodeStats> decode_clip(const ingest::ClipSnapshot& clip,
                                const std::function<Status(DecodedFrame&)>& visit,
                                int max_width = 0, PixelLayout layout = PixelLayout::kBgr);

}  // namespace vigie::evidence
