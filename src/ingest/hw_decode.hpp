#pragma once
// Hardware-accelerated decoding through libav's device contexts: a decoder asks for a device
// (VA-API, Quick Sync, NVDEC), decodes into device frames, and each frame is copied back to
// system memory before the usual conversion. When the device or the codec's support for it
// is missing, the decoder stays in software and says why.

#include <memory>
#include <string>

#include "core/hwaccel.hpp"
#include "ingest/libav.hpp"

extern "C" {
#include <libavutil/hwcontext.h>
}

namespace vigie::ingest {

/// Which decoder to open for a stream and on which device, settled by plan_decoder().
struct HwDecode {
  /// The decoder to open; null when libav has none for the codec.
  const AVCodec* codec = nullptr;
  /// The device in use; AV_HWDEVICE_TYPE_NONE: software decoding.
  AVHWDeviceType device = AV_HWDEVICE_TYPE_NONE;
  /// The decoder's output format on that device (AV_PIX_FMT_VAAPI, AV_PIX_FMT_CUDA, ...).
  AVPixelFormat hw_format = AV_PIX_FMT_NONE;
  /// The opened device; the decoder takes its own reference.
  av::BufferPtr device_ref;
  /// Why hardware decoding was asked for and not set up ("vaapi: no device (Generic error in
  /// an external library)"); empty when it was not asked for, or when it works.
  std::string fallback_reason;

  [[nodiscard]] bool active() const { return device != AV_HWDEVICE_TYPE_NONE; }
  /// "vaapi", or "software".
  [[nodiscard]] std::string name() const;
};

/// Opens the device `accel` names (for kAuto, the first of vaapi, qsv, cuda that opens) and
/// picks the decoder for `codec_id` on it: Quick Sync has its own decoders ("h264_qsv"), the
/// other devices plug into libav's native decoder. On any failure, the native decoder in
/// software, with the reason. kNone: the native decoder, nothing tried.
HwDecode plan_decoder(AVCodecID codec_id, HwAccel accel);

/// Before avcodec_open2: gives `ctx` the planned device and a get_format that picks the
/// device's format. `plan` must stay at the same address while `ctx` lives (get_format reads
/// it through ctx.opaque). Does nothing for a software plan.
void use_device(AVCodecContext& ctx, HwDecode& plan);

/// `frame` itself when it is in system memory; otherwise its picture copied into `staging`
/// (with its timestamps and properties), which is returned. Null on a failed copy, with the
/// libav error in `error`.
const AVFrame* to_system_memory(const AVFrame& frame, AVFrame& staging, int& error);

}  // namespace vigie::ingest
