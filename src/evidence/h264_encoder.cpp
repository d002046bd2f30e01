#include "evidence/h264_encoder.hpp"

#include <algorithm>
#include <cmath>
#include <string>

extern "C" {
#include <libavutil/imgutils.h>
#include <libavutil/opt.h>
}

namespace vigie::evidence {
namespace {

struct OutputFree {
  void operator()(AVFormatContext* c) const {
    if (c->pb != nullptr) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};

}  // namespace

struct H264FileEncoder::Impl {
  std::unique_ptr<AVFormatContext, OutputFree> fmt;
  ingest::av::CodecContextPtr enc;
  AVStream* stream = nullptr;
  ingest::av::FramePtr frame;
  ingest::av::PacketPtr packet;
  cv::Size size;
  std::int64_t frame_duration = 1;  ///< one nominal frame in the encoder's time base
  std::int64_t last_pts = AV_NOPTS_VALUE;
  std::int64_t frames = 0;
  bool faststart = true;
  bool open = false;

  Status drain(bool flushing) {
    for (;;) {
      const int r = avcodec_receive_packet(enc.get(), packet.get());
      if (r == AVERROR(EAGAIN) || (flushing && r == AVERROR_EOF)) return Status::ok();
      if (r < 0) return internal_error("encoding failed: " + ingest::av::error_string(r));
      // Without a duration the muxer gives the last frame none, and the clip ends one
      // frame early.
      if (packet->duration <= 0) packet->duration = frame_duration;
      av_packet_rescale_ts(packet.get(), enc->time_base, stream->time_base);
      packet->stream_index = stream->index;
      const int w = av_interleaved_write_frame(fmt.get(), packet.get());
      if (w < 0) return data_loss("writing a packet failed: " + ingest::av::error_string(w));
    }
  }
};

H264FileEncoder::H264FileEncoder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

H264FileEncoder::~H264FileEncoder() {
  if (impl_ && impl_->open) (void)close();
}

Result<std::unique_ptr<H264FileEncoder>> H264FileEncoder::open(const std::filesystem::path& path,
                                                               cv::Size size,
                                                               const H264Settings& settings) {
  if (size.width <= 0 || size.height <= 0 || size.width % 2 != 0 || size.height % 2 != 0)
    return invalid_argument("clip size must be positive and even");
  if (settings.time_base.num <= 0 || settings.time_base.den <= 0)
    return invalid_argument("clip time base must be positive");
  const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
  if (codec == nullptr) return unavailable("libavcodec has no libx264 encoder");

  auto impl = std::make_unique<Impl>();
  impl->size = size;
  impl->faststart = settings.faststart;
  const std::string file = path.string();
  AVFormatContext* raw = nullptr;
  if (avformat_alloc_output_context2(&raw, nullptr, "mp4", file.c_str()) < 0 || raw == nullptr)
    return internal_error("cannot allocate the mp4 muxer");
  impl->fmt.reset(raw);

  AVRational rate = settings.frame_rate;
  if (rate.num <= 0 || rate.den <= 0) rate = {10, 1};
  impl->enc.reset(avcodec_alloc_context3(codec));
  AVCodecContext* enc = impl->enc.get();
  enc->width = size.width;
  enc->height = size.height;
  enc->pix_fmt = AV_PIX_FMT_YUV420P;
  enc->time_base = settings.time_base;
  enc->framerate = rate;
  enc->gop_size = std::max(1, static_cast<int>(std::lround(2.0 * av_q2d(rate))));
  enc->max_b_frames = 0;
  // One thread: the evidence worker is a single background thread by design, and it must
  // not take the cores the analysis needs.
  enc->thread_count = 1;
  if ((impl->fmt->oformat->flags & AVFMT_GLOBALHEADER) != 0)
    enc->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  av_opt_set(enc->priv_data, "preset", settings.preset, 0);
  av_opt_set(enc->priv_data, "crf", std::to_string(settings.crf).c_str(), 0);
  std::string params = "bframes=0:sliced-threads=0:lookahead-threads=1";
  if (!settings.x264_params.empty()) params += ":" + settings.x264_params;
  av_opt_set(enc->priv_data, "x264-params", params.c_str(), 0);
  int r = avcodec_open2(enc, codec, nullptr);
  if (r < 0) {
    return internal_error("cannot open libx264 with preset " + std::string(settings.preset) +
                          " and options " + params + ": " + ingest::av::error_string(r));
  }
  impl->frame_duration =
      std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(rate), settings.time_base));

  impl->stream = avformat_new_stream(impl->fmt.get(), nullptr);
  if (impl->stream == nullptr) return internal_error("cannot add a stream to " + file);
  impl->stream->time_base = enc->time_base;
  impl->stream->avg_frame_rate = rate;
  avcodec_parameters_from_context(impl->stream->codecpar, enc);

  r = avio_open(&impl->fmt->pb, file.c_str(), AVIO_FLAG_WRITE);
  if (r < 0) return not_found("cannot create " + file + ": " + ingest::av::error_string(r));
  AVDictionary* options = nullptr;
  if (settings.faststart) av_dict_set(&options, "movflags", "+faststart", 0);
  r = avformat_write_header(impl->fmt.get(), &options);
  av_dict_free(&options);
  if (r < 0) return internal_error("cannot write the mp4 header: " + ingest::av::error_string(r));

  impl->frame.reset(av_frame_alloc());
  impl->frame->format = AV_PIX_FMT_YUV420P;
  impl->frame->width = size.width;
  impl->frame->height = size.height;
  if (av_frame_get_buffer(impl->frame.get(), 0) < 0) return internal_error("out of memory");
  impl->packet = ingest::av::make_packet();
  impl->open = true;
  return std::unique_ptr<H264FileEncoder>(new H264FileEncoder(std::move(impl)));
}

Status H264FileEncoder::write(const Yuv420& image, std::int64_t pts) {
  Impl& m = *impl_;
  if (!m.open) return Status(StatusCode::kFailedPrecondition, "encoder is closed");
  if (image.size() != m.size || image.y.type() != CV_8UC1 || image.u.type() != CV_8UC1 ||
      image.v.type() != CV_8UC1 || image.u.size() != image.v.size() ||
      image.u.size() != cv::Size((m.size.width + 1) / 2, (m.size.height + 1) / 2))
    return invalid_argument("frame size or planes differ from the clip's");
  // The encoder may still hold a reference to the previous frame's buffers.
  if (av_frame_make_writable(m.frame.get()) < 0) return internal_error("out of memory");
  const cv::Mat* planes[3] = {&image.y, &image.u, &image.v};
  for (int i = 0; i < 3; ++i) {
    av_image_copy_plane(m.frame->data[i], m.frame->linesize[i], planes[i]->data,
                        static_cast<int>(planes[i]->step[0]), planes[i]->cols, planes[i]->rows);
  }
  // The muxer needs strictly increasing timestamps; live cameras sometimes repeat one.
  if (m.last_pts != AV_NOPTS_VALUE && pts <= m.last_pts) pts = m.last_pts + 1;
  m.last_pts = pts;
  m.frame->pts = pts;
  const int r = avcodec_send_frame(m.enc.get(), m.frame.get());
  if (r < 0) return internal_error("encoder refused a frame: " + ingest::av::error_string(r));
  ++m.frames;
  return m.drain(false);
}

Status H264FileEncoder::close() {
  Impl& m = *impl_;
  if (!m.open) return Status::ok();
  m.open = false;
  const int r = avcodec_send_frame(m.enc.get(), nullptr);
  if (r < 0) return internal_error("cannot flush the encoder: " + ingest::av::error_string(r));
  Status s = m.drain(true);
  if (!s.is_ok()) return s;
  const int t = av_write_trailer(m.fmt.get());
  if (t < 0) return data_loss("cannot write the mp4 trailer: " + ingest::av::error_string(t));
  avio_closep(&m.fmt->pb);
  return Status::ok();
}

std::int64_t H264FileEncoder::frames() const {
  return impl_->frames;
}

}  // namespace vigie::evidence
