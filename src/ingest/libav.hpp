#pragma once
// Thin RAII and error helpers over FFmpeg's C API, shared by the ingest files.
// Nothing here knows about cameras; it only makes libav* objects safe to hold.

#include <memory>
#include <string>
#include <string_view>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libswscale/swscale.h>
}

namespace vigie::ingest::av {

struct FormatInputCloser {
  void operator()(AVFormatContext* c) const { avformat_close_input(&c); }
};
/// An opened demuxer (avformat_open_input).
using InputPtr = std::unique_ptr<AVFormatContext, FormatInputCloser>;

struct CodecContextFree {
  void operator()(AVCodecContext* c) const { avcodec_free_context(&c); }
};
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextFree>;

struct PacketFree {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
/// A reference-counted compressed packet; cloning shares the payload.
using PacketPtr = std::unique_ptr<AVPacket, PacketFree>;

struct FrameFree {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};
using FramePtr = std::unique_ptr<AVFrame, FrameFree>;

struct BufferUnref {
  void operator()(AVBufferRef* b) const { av_buffer_unref(&b); }
};
/// A reference to a libav buffer (a hardware device context, ...).
using BufferPtr = std::unique_ptr<AVBufferRef, BufferUnref>;

struct SwsFree {
  void operator()(SwsContext* s) const { sws_freeContext(s); }
};
using SwsPtr = std::unique_ptr<SwsContext, SwsFree>;

/// A new empty packet (never null; aborts on allocation failure like the rest of libav).
PacketPtr make_packet();
/// A new reference to the same payload as `p`.
PacketPtr clone_packet(const AVPacket& p);

/// "Connection refused", "Invalid data found when processing input", ...
std::string error_string(int averror);

/// What a stream is: the decoder parameters and time base of the one video stream we
/// read, fixed for one connection. Shared (immutable) by the decoder and the packet ring.
struct StreamInfo {
  std::shared_ptr<const AVCodecParameters> codecpar;
  AVRational time_base{1, 90000};
  /// Timestamp (in time_base) of the connection's first packet: pts_s is measured from it.
  std::int64_t first_pts = 0;
  /// Nominal frame rate if the container knows it, else {0, 1}.
  AVRational frame_rate{0, 1};
  /// Increments on every (re)connection of one source.
  std::uint64_t session = 0;

  /// Seconds since the connection's first packet.
  [[nodiscard]] double seconds(std::int64_t ts) const {
    return static_cast<double>(ts - first_pts) * av_q2d(time_base);
  }
};

/// A deep copy of codec parameters, owned by a shared_ptr.
std::shared_ptr<const AVCodecParameters> copy_codecpar(const AVCodecParameters& from);

/// What `stream` is: its decoder parameters (copied), time base and nominal frame rate.
/// first_pts and session are left for the caller that knows them.
std::shared_ptr<StreamInfo> stream_info(const AVStream& stream);

/// Best available timestamp of a packet (pts, else dts), AV_NOPTS_VALUE if neither.
inline std::int64_t packet_ts(const AVPacket& p) {
  return p.pts != AV_NOPTS_VALUE ? p.pts : p.dts;
}

/// Routes av_log messages to spdlog, scrubbed by redact(): errors at error level (at most
/// one line per second), everything else at debug. Installed once per process; safe to call
/// from several threads.
void install_log_bridge();

}  // namespace vigie::ingest::av
