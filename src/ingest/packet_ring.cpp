#include "ingest/packet_ring.hpp"

#include <algorithm>

namespace vigie::ingest {

void PacketRing::reset(std::shared_ptr<const av::StreamInfo> stream) {
  std::lock_guard lock(mutex_);
  stream_ = std::move(stream);
  entries_.clear();
}

void PacketRing::push(const AVPacket& packet) {
  const std::int64_t ts = av::packet_ts(packet);
  const bool key = (packet.flags & AV_PKT_FLAG_KEY) != 0;
  std::lock_guard lock(mutex_);
  if (!stream_ || ts == AV_NOPTS_VALUE) return;
  if (entries_.empty() && !key) return;  // a clip must start where a decoder can
  entries_.push_back({av::clone_packet(packet), stream_->seconds(ts), key});
  trim_locked();
}

void PacketRing::trim_locked() {
  const double newest = entries_.back().t_s;
  // Drop the oldest GOP while the next keyframe alone still covers the window.
  for (;;) {
    auto next_key =
        std::find_if(entries_.begin() + 1, entries_.end(), [](const Entry& e) { return e.key; });
    if (next_key == entries_.end() || next_key->t_s > newest - seconds_) return;
    entries_.erase(entries_.begin(), next_key);
  }
}

ClipSnapshot PacketRing::snapshot(double from_s, double to_s) const {
  ClipSnapshot clip;
  std::lock_guard lock(mutex_);
  if (entries_.empty()) return clip;
  std::size_t first = 0;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (entries_[i].t_s > from_s) break;
    if (entries_[i].key) first = i;
  }
  for (std::size_t i = first; i < entries_.size(); ++i) {
    if (entries_[i].t_s > to_s) break;
    if (clip.packets.empty()) clip.from_s = entries_[i].t_s;
    clip.to_s = std::max(clip.to_s, entries_[i].t_s);
    clip.packets.push_back(av::clone_packet(*entries_[i].packet));
  }
  if (!clip.packets.empty()) clip.stream = stream_;
  return clip;
}

ClipSnapshot PacketRing::snapshot_all() const {
  return snapshot(-1e300, 1e300);
}

std::size_t PacketRing::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

double PacketRing::span_s() const {
  std::lock_guard lock(mutex_);
  if (entries_.empty()) return 0.0;
  return entries_.back().t_s - entries_.front().t_s;
}

namespace {

struct OutputCloser {
  void operator()(AVFormatContext* c) const {
    if (c->pb != nullptr && (c->oformat->flags & AVFMT_NOFILE) == 0) avio_closep(&c->pb);
    avformat_free_context(c);
  }
};

Status av_failure(const char* what, int err, const std::string& path) {
  return {StatusCode::kInternal, std::string(what) + " " + path + ": " + av::error_string(err)};
}

}  // namespace

Status write_mp4(const ClipSnapshot& clip, const std::string& path) {
  if (clip.empty() || !clip.stream) return invalid_argument("empty clip: nothing to write");
  AVFormatContext* raw = nullptr;
  int err = avformat_alloc_output_context2(&raw, nullptr, "mp4", path.c_str());
  if (err < 0 || raw == nullptr) return av_failure("cannot create muxer for", err, path);
  std::unique_ptr<AVFormatContext, OutputCloser> out(raw);

  AVStream* st = avformat_new_stream(out.get(), nullptr);
  if (st == nullptr) return internal_error("cannot add a stream to " + path);
  avcodec_parameters_copy(st->codecpar, clip.stream->codecpar.get());
  st->codecpar->codec_tag = 0;  // let the mp4 muxer pick its own tag
  st->time_base = clip.stream->time_base;

  err = avio_open(&out->pb, path.c_str(), AVIO_FLAG_WRITE);
  if (err < 0)
    return {StatusCode::kUnavailable, "cannot open " + path + ": " + av::error_string(err)};
  err = avformat_write_header(out.get(), nullptr);
  if (err < 0) return av_failure("cannot write header of", err, path);

  const AVPacket& first = *clip.packets.front();
  const std::int64_t origin = first.dts != AV_NOPTS_VALUE ? first.dts : av::packet_ts(first);
  std::int64_t last_dts = AV_NOPTS_VALUE;
  for (const av::PacketPtr& p : clip.packets) {
    av::PacketPtr pkt = av::clone_packet(*p);
    if (pkt->pts != AV_NOPTS_VALUE) pkt->pts -= origin;
    if (pkt->dts != AV_NOPTS_VALUE) pkt->dts -= origin;
    // Live streams (MJPEG) may repeat a timestamp; the muxer needs strictly increasing dts.
    if (pkt->dts == AV_NOPTS_VALUE) pkt->dts = pkt->pts;
    if (last_dts != AV_NOPTS_VALUE && pkt->dts <= last_dts) {
      pkt->dts = last_dts + 1;
      if (pkt->pts != AV_NOPTS_VALUE && pkt->pts < pkt->dts) pkt->pts = pkt->dts;
    }
    last_dts = pkt->dts;
    av_packet_rescale_ts(pkt.get(), clip.stream->time_base, st->time_base);
    pkt->stream_index = 0;
    pkt->pos = -1;
    err = av_interleaved_write_frame(out.get(), pkt.get());
    if (err < 0) return av_failure("cannot write packet to", err, path);
  }
  err = av_write_trailer(out.get());
  if (err < 0) return av_failure("cannot finish", err, path);
  return Status::ok();
}

}  // namespace vigie::ingest
