#include "ingest/hw_decode.hpp"

#include <array>
#include <span>

#include <fmt/format.h>

namespace vigie::ingest {
namespace {

/// What kAuto tries, in order: the devices are exclusive in practice (one vendor's GPU), so
/// the order matters only on machines with several.
constexpr std::array kAutoOrder = {HwAccel::kVaapi, HwAccel::kQsv, HwAccel::kCuda};

AVHWDeviceType device_type(HwAccel accel) {
  switch (accel) {
    case HwAccel::kVaapi: return AV_HWDEVICE_TYPE_VAAPI;
    case HwAccel::kQsv: return AV_HWDEVICE_TYPE_QSV;
    case HwAccel::kCuda: return AV_HWDEVICE_TYPE_CUDA;
    case HwAccel::kNone:
    case HwAccel::kAuto: break;
  }
  return AV_HWDEVICE_TYPE_NONE;
}

/// The format `codec` decodes into on `type` through a device context, or AV_PIX_FMT_NONE
/// when the codec has no such configuration (e.g. a build without that hwaccel).
AVPixelFormat hw_format_for(const AVCodec& codec, AVHWDeviceType type) {
  for (int i = 0;; ++i) {
    const AVCodecHWConfig* config = avcodec_get_hw_config(&codec, i);
    if (config == nullptr) return AV_PIX_FMT_NONE;
    if (config->device_type == type &&
        (config->methods & AV_CODEC_HW_CONFIG_METHOD_HW_DEVICE_CTX) != 0) {
      return config->pix_fmt;
    }
  }
}

/// Picks the device format when the decoder offers it (it may not, for a profile the device
/// cannot decode); otherwise libav's own choice, which is a software format.
AVPixelFormat pick_format(AVCodecContext* ctx, const AVPixelFormat* offered) {
  const auto* state = static_cast<const HwDecode*>(ctx->opaque);
  for (const AVPixelFormat* f = offered; *f != AV_PIX_FMT_NONE; ++f) {
    if (state != nullptr && *f == state->hw_format) return *f;
  }
  return avcodec_default_get_format(ctx, offered);
}

/// The decoder to use for `codec_id` on `accel`'s device.
const AVCodec* decoder_for(AVCodecID codec_id, HwAccel accel) {
  if (accel == HwAccel::kQsv) {
    const std::string name = fmt::format("{}_qsv", avcodec_get_name(codec_id));
    if (const AVCodec* qsv = avcodec_find_decoder_by_name(name.c_str())) return qsv;
  }
  return avcodec_find_decoder(codec_id);
}

/// Tries one device: true and `plan` filled when it opened, else a reason in `reason`.
bool try_device(AVCodecID codec_id, HwAccel accel, HwDecode& plan, std::string& reason) {
  const AVHWDeviceType type = device_type(accel);
  const AVCodec* codec = decoder_for(codec_id, accel);
  const AVPixelFormat format = codec != nullptr ? hw_format_for(*codec, type) : AV_PIX_FMT_NONE;
  if (format == AV_PIX_FMT_NONE) {
    reason = fmt::format("{}: no {} decoder for {}", to_string(accel), to_string(accel),
                         avcodec_get_name(codec_id));
    return false;
  }
  AVBufferRef* device = nullptr;
  const int err = av_hwdevice_ctx_create(&device, type, nullptr, nullptr, 0);
  if (err < 0) {
    reason = fmt::format("{}: no device ({})", to_string(accel), av::error_string(err));
    return false;
  }
  plan.codec = codec;
  plan.device = type;
  plan.hw_format = format;
  plan.device_ref.reset(device);
  return true;
}

}  // namespace

std::string HwDecode::name() const {
  if (!active()) return "software";
  const char* n = av_hwdevice_get_type_name(device);
  return n != nullptr ? n : "hardware";
}

HwDecode plan_decoder(AVCodecID codec_id, HwAccel accel) {
  HwDecode plan;
  if (accel != HwAccel::kNone) {
    const std::span<const HwAccel> tries = accel == HwAccel::kAuto
                                               ? std::span<const HwAccel>(kAutoOrder)
                                               : std::span<const HwAccel>(&accel, 1);
    for (const HwAccel each : tries) {
      std::string reason;
      if (try_device(codec_id, each, plan, reason)) return plan;
      plan.fallback_reason += (plan.fallback_reason.empty() ? "" : "; ") + reason;
    }
  }
  plan.codec = avcodec_find_decoder(codec_id);
  return plan;
}

void use_device(AVCodecContext& ctx, HwDecode& plan) {
  if (!plan.active()) return;
  ctx.hw_device_ctx = av_buffer_ref(plan.device_ref.get());
  ctx.opaque = &plan;
  ctx.get_format = pick_format;
}

const AVFrame* to_system_memory(const AVFrame& frame, AVFrame& staging, int& error) {
  if (frame.hw_frames_ctx == nullptr) return &frame;
  av_frame_unref(&staging);
  error = av_hwframe_transfer_data(&staging, &frame, 0);
  if (error >= 0) error = av_frame_copy_props(&staging, &frame);
  return error < 0 ? nullptr : &staging;
}

}  // namespace vigie::ingest
