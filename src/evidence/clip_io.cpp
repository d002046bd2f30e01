#include "evidence/clip_io.hpp"

#include <algorithm>
#include <cmath>

#include "ingest/frame_decoder.hpp"

namespace vigie::evidence {

Result<ingest::ClipSnapshot> read_clip(const std::filesystem::path& path, double first_s) {
  const std::string file = path.string();
  AVFormatContext* raw = nullptr;
  int err = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (err < 0) return not_found("cannot open " + file + ": " + ingest::av::error_string(err));
  ingest::av::InputPtr in(raw);
  err = avformat_find_stream_info(raw, nullptr);
  if (err < 0) return data_loss("cannot read " + file + ": " + ingest::av::error_string(err));
  const int index = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return data_loss("no video stream in " + file);
  const AVStream& st = *raw->streams[index];

  auto info = ingest::av::stream_info(st);
  ingest::ClipSnapshot clip;
  ingest::av::PacketPtr packet = ingest::av::make_packet();
  while ((err = av_read_frame(raw, packet.get())) >= 0) {
    if (packet->stream_index == index && ingest::av::packet_ts(*packet) != AV_NOPTS_VALUE) {
      clip.packets.push_back(ingest::av::clone_packet(*packet));
    }
    av_packet_unref(packet.get());
  }
  if (err != AVERROR_EOF)
    return data_loss("cannot read " + file + ": " + ingest::av::error_string(err));
  if (clip.packets.empty()) return data_loss("no video packet in " + file);

  // Put the first packet back at the stream time it had before it was stored, so that alert
  // times and person boxes apply to the stored clip unchanged.
  const std::int64_t first_ts = ingest::av::packet_ts(*clip.packets.front());
  info->first_pts =
      first_ts - static_cast<std::int64_t>(std::llround(first_s / av_q2d(info->time_base)));
  clip.from_s = info->seconds(first_ts);
  clip.to_s = clip.from_s;
  for (const auto& p : clip.packets)
    clip.to_s = std::max(clip.to_s, info->seconds(ingest::av::packet_ts(*p)));
  clip.stream = std::move(info);
  return clip;
}

Result<DecodeStats> decode_clip(const ingest::ClipSnapshot& clip,
                                const std::function<Status(DecodedFrame&)>& visit, int max_width,
                                PixelLayout layout) {
  if (clip.empty() || !clip.stream) {
    return Status(StatusCode::kFailedPrecondition, "empty clip: nothing to decode");
  }
  // Evidence is looked at closely: full quality, unlike the analysis decoder, unless it is
  // rendered smaller than the source anyway, where downscaling hides what deblocking would
  // smooth and skipping it saves a third of the decoding.
  const bool downscaled = max_width > 0 && clip.stream->codecpar->width > max_width;
  auto opened = ingest::FrameDecoder::open(clip.stream, ingest::DecoderTuning{downscaled, false});
  if (!opened) return opened.status();
  ingest::FrameDecoder& decoder = **opened;
  ingest::BgrScaler bgr_scaler;
  Yuv420Scaler yuv_scaler;
  DecodedFrame out;
  DecodeStats stats;

  // Pulls every frame the decoder has ready. A corrupt frame is skipped, not fatal: the
  // rest of the clip is still evidence.
  auto drain = [&]() -> Status {
    for (int guard = 0; guard < 10000; ++guard) {
      Result<const AVFrame*> got = decoder.receive();
      if (!got) {
        ++stats.corrupt;
        continue;
      }
      const AVFrame* frame = *got;
      if (frame == nullptr) return Status::ok();
      out.pts_s = decoder.pts_s(*frame);
      out.source_size = cv::Size(frame->width, frame->height);
      const int width = max_width > 0 ? std::min(max_width, frame->width) : 0;
      Status s = layout == PixelLayout::kYuv420 ? yuv_scaler.scale(*frame, width, out.yuv)
                                                : bgr_scaler.scale(*frame, width, out.bgr);
      if (!s.is_ok()) return s;
      ++stats.frames;
      s = visit(out);
      if (!s.is_ok()) return s;
    }
    return data_loss("the decoder keeps returning errors");
  };

  for (const ingest::av::PacketPtr& packet : clip.packets) {
    if (!decoder.send(packet.get()).is_ok()) {
      ++stats.corrupt;
      continue;
    }
    Status s = drain();
    if (!s.is_ok()) return s;
  }
  (void)decoder.send(nullptr);
  Status s = drain();
  if (!s.is_ok()) return s;
  if (stats.frames == 0) {
    return data_loss("no decodable frame in " + std::to_string(clip.packets.size()) + " packets (" +
                     std::to_string(stats.corrupt) + " rejected)");
  }
  return stats;
}

}  // namespace vigie::evidence
