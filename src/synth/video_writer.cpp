#include "synth/video_writer.hpp"

#include <opencv2/imgproc.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/opt.h>
}

namespace vigie::synth {
namespace {

std::string av_error(int code) {
  char buf[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, buf, sizeof buf);
  return buf;
}

}  // namespace

struct H264Writer::Impl {
  AVFormatContext* fmt = nullptr;
  AVCodecContext* enc = nullptr;
  AVStream* stream = nullptr;
  AVFrame* frame = nullptr;
  AVPacket* packet = nullptr;
  cv::Size size;
  cv::Mat yuv;
  std::int64_t next_pts = 0;
  bool open = false;

  ~Impl() {
    av_packet_free(&packet);
    av_frame_free(&frame);
    avcodec_free_context(&enc);
    if (fmt) {
      if (fmt->pb) avio_closep(&fmt->pb);
      avformat_free_context(fmt);
    }
  }

  Status drain(bool flushing) {
    for (;;) {
      const int r = avcodec_receive_packet(enc, packet);
      if (r == AVERROR(EAGAIN) || (flushing && r == AVERROR_EOF)) return Status::ok();
      if (r < 0) return internal_error("encoding failed: " + av_error(r));
      av_packet_rescale_ts(packet, enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      const int w = av_interleaved_write_frame(fmt, packet);
      if (w < 0) return data_loss("writing a packet failed: " + av_error(w));
    }
  }
};

H264Writer::H264Writer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

H264Writer::~H264Writer() {
  if (impl_ && impl_->open) (void)close();
}

Result<std::unique_ptr<H264Writer>> H264Writer::open(const std::filesystem::path& path,
                                                     cv::Size size,
                                                     const VideoWriterOptions& options) {
  if (size.width <= 0 || size.height <= 0 || size.width % 2 || size.height % 2)
    return invalid_argument("video size must be positive and even");
  if (!(options.fps > 0 && options.fps <= 120)) return invalid_argument("fps must be in (0, 120]");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (!codec) return Status(StatusCode::kUnavailable, "libavcodec has no libx264 encoder");

  auto impl = std::make_unique<Impl>();
  impl->size = size;
  const std::string file = path.string();
  if (avformat_alloc_output_context2(&impl->fmt, nullptr, "mp4", file.c_str()) < 0 || !impl->fmt)
    return internal_error("cannot allocate the mp4 muxer");
  impl->fmt->flags |= AVFMT_FLAG_BITEXACT;  // no library version strings or dates in the file

  impl->enc = avcodec_alloc_context3(codec);
  const AVRational rate = av_d2q(options.fps, 100000);
  impl->enc->width = size.width;
  impl->enc->height = size.height;
  impl->enc->pix_fmt = AV_PIX_FMT_YUV420P;
  impl->enc->time_base = av_inv_q(rate);
  impl->enc->framerate = rate;
  impl->enc->gop_size = std::max(1, static_cast<int>(std::lround(2.0 * options.fps)));
  impl->enc->max_b_frames = 0;
  impl->enc->thread_count = 1;
  impl->enc->flags |= AV_CODEC_FLAG_BITEXACT;
  if (impl->fmt->oformat->flags & AVFMT_GLOBALHEADER)
    impl->enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set(impl->enc->priv_data, "preset", options.preset, 0);
  if (options.bitrate_kbps > 0) {
    impl->enc->bit_rate = std::int64_t{options.bitrate_kbps} * 1000;
    impl->enc->rc_max_rate = impl->enc->bit_rate * 3 / 2;
    impl->enc->rc_buffer_size = static_cast<int>(impl->enc->rc_max_rate * 2);
  } else {
    av_opt_set(impl->enc->priv_data, "crf", std::to_string(options.crf).c_str(), 0);
  }
  av_opt_set(impl->enc->priv_data, "threads", "1", 0);
  // no scene-cut keyframes: a fixed GOP keeps keyframe positions predictable
  av_opt_set(impl->enc->priv_data, "x264-params",
             "scenecut=0:bframes=0:sliced-threads=0:lookahead-threads=1", 0);
  int r = avcodec_open2(impl->enc, codec, nullptr);
  if (r < 0) return internal_error("cannot open libx264: " + av_error(r));

  impl->stream = avformat_new_stream(impl->fmt, nullptr);
  impl->stream->time_base = impl->enc->time_base;
  impl->stream->avg_frame_rate = rate;
  avcodec_parameters_from_context(impl->stream->codecpar, impl->enc);

  r = avio_open(&impl->fmt->pb, file.c_str(), AVIO_FLAG_WRITE);
  if (r < 0) return not_found("cannot create " + file + ": " + av_error(r));
  r = avformat_write_header(impl->fmt, nullptr);
  if (r < 0) return internal_error("cannot write the mp4 header: " + av_error(r));

  impl->frame = av_frame_alloc();
  impl->frame->format = AV_PIX_FMT_YUV420P;
  impl->frame->width = size.width;
  impl->frame->height = size.height;
  impl->packet = av_packet_alloc();
  impl->open = true;
  return std::unique_ptr<H264Writer>(new H264Writer(std::move(impl)));
}

Status H264Writer::write(const cv::Mat& bgr) {
  Impl& m = *impl_;
  if (!m.open) return Status(StatusCode::kFailedPrecondition, "writer is closed");
  if (bgr.size() != m.size || bgr.type() != CV_8UC3)
    return invalid_argument("frame size or type differs");
  // OpenCV's I420 layout is exactly yuv420p: Y plane, then U, then V.
  cv::cvtColor(bgr, m.yuv, cv::COLOR_BGR2YUV_I420);
  const int w = m.size.width, h = m.size.height;
  m.frame->data[0] = m.yuv.data;
  m.frame->data[1] = m.yuv.data + w * h;
  m.frame->data[2] = m.yuv.data + w * h + (w / 2) * (h / 2);
  m.frame->linesize[0] = w;
  m.frame->linesize[1] = w / 2;
  m.frame->linesize[2] = w / 2;
  m.frame->pts = m.next_pts++;
  const int r = avcodec_send_frame(m.enc, m.frame);
  if (r < 0) return internal_error("encoder refused a frame: " + av_error(r));
  return m.drain(false);
}

Status H264Writer::close() {
  Impl& m = *impl_;
  if (!m.open) return Status::ok();
  m.open = false;
  const int r = avcodec_send_frame(m.enc, nullptr);
  if (r < 0) return internal_error("cannot flush the encoder: " + av_error(r));
  Status s = m.drain(true);
  if (!s.is_ok()) return s;
  const int t = av_write_trailer(m.fmt);
  if (t < 0) return data_loss("cannot write the mp4 trailer: " + av_error(t));
  avio_closep(&m.fmt->pb);
  return Status::ok();
}

}  // namespace vigie::synth
