#include "ingest/frame_decoder.hpp"

#include <algorithm>
#include <cmath>

namespace vigie::ingest {

namespace {

/// Runs `sws` (set up for `frame` and `size`, BGR24 out) into a new continuous Mat. Some
/// converters write in blocks that pass a row's end by a few bytes: the rows are padded and
/// a spare row follows, then the picture is copied out.
cv::Mat to_bgr(SwsContext& sws, const AVFrame& frame, cv::Size size) {
  cv::Mat padded(size.height + 1, size.width + 16, CV_8UC3);
  uint8_t* dst[4] = {padded.data, nullptr, nullptr, nullptr};
  int dst_stride[4] = {static_cast<int>(padded.step[0]), 0, 0, 0};
  sws_scale(&sws, frame.data, frame.linesize, 0, frame.height, dst, dst_stride);
  return padded(cv::Rect({0, 0}, size)).clone();
}

}  // namespace

Result<std::unique_ptr<FrameDecoder>> FrameDecoder::open(
    std::shared_ptr<const av::StreamInfo> stream, const DecoderTuning& tuning) {
  std::unique_ptr<FrameDecoder> dec(new FrameDecoder());
  const AVCodecID codec_id = stream->codecpar->codec_id;
  dec->hw_ = plan_decoder(codec_id, tuning.hwaccel);
  Status opened = dec->open_context(*stream->codecpar, stream->time_base, tuning);
  if (!opened.is_ok() && dec->hw_.active()) {
    // The device opened but its decoder did not take this stream: software it is.
    HwDecode software = plan_decoder(codec_id, HwAccel::kNone);
    software.fallback_reason = dec->hw_.name() + ": " + opened.message();
    dec->hw_ = std::move(software);
    opened = dec->open_context(*stream->codecpar, stream->time_base, tuning);
  }
  if (!opened.is_ok()) return opened;
  dec->stream_ = std::move(stream);
  return dec;
}

Status FrameDecoder::open_context(const AVCodecParameters& par, AVRational time_base,
                                  const DecoderTuning& tuning) {
  const AVCodec* codec = hw_.codec;
  if (codec == nullptr) {
    return Status(StatusCode::kUnimplemented,
                  std::string("unsupported codec ") + avcodec_get_name(par.codec_id));
  }
  ctx_.reset(avcodec_alloc_context3(codec));
  frame_.reset(av_frame_alloc());
  staging_.reset(av_frame_alloc());
  int err = avcodec_parameters_to_context(ctx_.get(), &par);
  if (err < 0) return invalid_argument("bad codec parameters: " + av::error_string(err));
  ctx_->pkt_timebase = time_base;
  // One thread per stream: the pool already spreads cameras over the cores, and frame
  // threading would add a frame of latency per thread.
  ctx_->thread_count = 1;
  if (tuning.skip_loop_filter) ctx_->skip_loop_filter = AVDISCARD_ALL;
  if (tuning.skip_non_reference) ctx_->skip_frame = AVDISCARD_NONREF;
  use_device(*ctx_, hw_);
  err = avcodec_open2(ctx_.get(), codec, nullptr);
  if (err < 0) {
    return Status(StatusCode::kUnimplemented,
                  std::string("cannot open ") + codec->name + " decoder: " + av::error_string(err));
  }
  return Status::ok();
}

Status FrameDecoder::send(const AVPacket* packet) {
  const int err = avcodec_send_packet(ctx_.get(), packet);
  if (err < 0 && err != AVERROR(EAGAIN) && err != AVERROR_EOF) {
    return data_loss("decode error: " + av::error_string(err));
  }
  return Status::ok();
}

Result<const AVFrame*> FrameDecoder::receive() {
  av_frame_unref(frame_.get());
  const int err = avcodec_receive_frame(ctx_.get(), frame_.get());
  if (err == AVERROR(EAGAIN) || err == AVERROR_EOF) return static_cast<const AVFrame*>(nullptr);
  if (err < 0) return data_loss("decode error: " + av::error_string(err));
  if (frame_->decode_error_flags != 0 || (frame_->flags & AV_FRAME_FLAG_CORRUPT) != 0) {
    return data_loss("corrupt frame (concealed errors)");
  }
  int err_copy = 0;
  const AVFrame* in_memory = to_system_memory(*frame_, *staging_, err_copy);
  if (in_memory == nullptr) {
    return data_loss("cannot copy a " + hw_.name() +
                     " frame to memory: " + av::error_string(err_copy));
  }
  return in_memory;
}

void FrameDecoder::flush() {
  avcodec_flush_buffers(ctx_.get());
}

double FrameDecoder::pts_s(const AVFrame& frame) const {
  std::int64_t ts = frame.best_effort_timestamp;
  if (ts == AV_NOPTS_VALUE) ts = frame.pts;
  if (ts == AV_NOPTS_VALUE) return 0.0;
  return stream_->seconds(ts);
}

cv::Size BgrScaler::target_size(int source_width, int source_height, int width) {
  if (width <= 0) width = source_width;
  width = std::max(2, width & ~1);
  const double h = static_cast<double>(width) * source_height / std::max(1, source_width);
  const int height = std::max(2, static_cast<int>(std::lround(h / 2.0)) * 2);
  return {width, height};
}

bool prepare_scaler(av::SwsPtr& sws, const AVFrame& frame, cv::Size size, AVPixelFormat format) {
  const bool same = size.width == frame.width && size.height == frame.height;
  sws.reset(sws_getCachedContext(sws.release(), frame.width, frame.height,
                                 static_cast<AVPixelFormat>(frame.format), size.width, size.height,
                                 format, same ? SWS_POINT : SWS_AREA, nullptr, nullptr, nullptr));
  return sws != nullptr;
}

Status BgrScaler::scale(const AVFrame& frame, int width, cv::Mat& out) {
  const cv::Size size = target_size(frame.width, frame.height, width);
  if (!prepare_scaler(sws_, frame, size, AV_PIX_FMT_BGR24)) {
    return internal_error("cannot create a scaler for this frame format");
  }
  // A fresh Mat each frame: analysis may keep the previous one.
  out = to_bgr(*sws_, frame, size);
  return Status::ok();
}

AvSourcePicture::AvSourcePicture(const AVFrame& frame) : frame_(av_frame_clone(&frame)) {}

cv::Size AvSourcePicture::size() const {
  // No reference when libav could not allocate one: an empty picture, every region refused.
  return frame_ ? cv::Size(frame_->width, frame_->height) : cv::Size();
}

cv::Mat AvSourcePicture::region(const cv::Rect& area, cv::Size size) const {
  if (!frame_ || size.width <= 0 || size.height <= 0 || area.width <= 0 || area.height <= 0 ||
      (area & cv::Rect(0, 0, frame_->width, frame_->height)) != area) {
    return {};
  }
  // A second reference, cropped: libav moves the plane pointers for each pixel format's
  // subsampling, so nothing is copied before the scaler reads the region.
  av::FramePtr crop(av_frame_clone(frame_.get()));
  if (!crop) return {};
  crop->crop_left = static_cast<size_t>(area.x);
  crop->crop_top = static_cast<size_t>(area.y);
  crop->crop_right = static_cast<size_t>(frame_->width - area.x - area.width);
  crop->crop_bottom = static_cast<size_t>(frame_->height - area.y - area.height);
  if (av_frame_apply_cropping(crop.get(), AV_FRAME_CROP_UNALIGNED) < 0) return {};
  // A context per call: regions are read a few times a second at most, from any thread.
  av::SwsPtr sws(sws_getContext(crop->width, crop->height, static_cast<AVPixelFormat>(crop->format),
                                size.width, size.height, AV_PIX_FMT_BGR24, SWS_AREA, nullptr,
                                nullptr, nullptr));
  if (!sws) return {};
  return to_bgr(*sws, *crop, size);
}

}  // namespace vigie::ingest
