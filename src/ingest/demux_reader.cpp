#include "ingest/demux_reader.hpp"

#include <fmt/format.h>

#include "core/redact.hpp"

namespace vigie::ingest {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string micros(double seconds) {
  return std::to_string(static_cast<std::int64_t>(seconds * 1e6));
}

}  // namespace

void Interrupter::arm(double seconds) {
  deadline_ns_.store(now_ns() + static_cast<std::int64_t>(seconds * 1e9));
}

bool Interrupter::expired() const {
  return now_ns() >= deadline_ns_.load();
}

int Interrupter::callback(void* opaque) {
  const auto* self = static_cast<const Interrupter*>(opaque);
  return self->stopping() || self->expired() ? 1 : 0;
}

InputKind input_kind(const std::string& url) {
  if (url.rfind("rtsp://", 0) == 0 || url.rfind("rtsps://", 0) == 0) return InputKind::kRtsp;
  if (url.rfind("http://", 0) == 0 || url.rfind("https://", 0) == 0) return InputKind::kHttp;
  return InputKind::kFile;
}

Status classify_av_error(int err, const Interrupter& interrupter, double timeout_s, InputKind kind,
                         const char* during) {
  const bool network = kind != InputKind::kFile;
  if (err == AVERROR_EXIT || err == AVERROR(ETIMEDOUT)) {
    if (interrupter.stopping()) return {StatusCode::kCancelled, "stopped"};
    return {StatusCode::kDeadlineExceeded,
            fmt::format("timed out after {:.1f} s {}", timeout_s, during)};
  }
  switch (err) {
    case AVERROR(ECONNREFUSED): return unavailable(fmt::format("connection refused {}", during));
    case AVERROR(EHOSTUNREACH):
    case AVERROR(ENETUNREACH): return unavailable(fmt::format("host unreachable {}", during));
    case AVERROR(ECONNRESET):
    case AVERROR(EPIPE): return unavailable(fmt::format("connection reset by peer {}", during));
    case AVERROR(EIO): return unavailable(fmt::format("I/O error {}", during));
    case AVERROR(ENOENT): return not_found(fmt::format("no such file {}", during));
    case AVERROR(EACCES):
      return {StatusCode::kFailedPrecondition, fmt::format("permission denied {}", during)};
    case AVERROR_HTTP_NOT_FOUND:
    case AVERROR_STREAM_NOT_FOUND:
      return not_found(
          fmt::format("{} 404 not found {}", kind == InputKind::kRtsp ? "RTSP" : "HTTP", during));
    case AVERROR_HTTP_UNAUTHORIZED:
    case AVERROR_HTTP_FORBIDDEN:
      return {StatusCode::kFailedPrecondition,
              fmt::format("not authorized (check credentials) {}", during)};
    case AVERROR_INVALIDDATA:
      return invalid_argument(
          fmt::format("invalid data (not a media file, or truncated) {}", during));
    case AVERROR_DECODER_NOT_FOUND:
      return {StatusCode::kUnimplemented, fmt::format("unsupported codec {}", during)};
    case AVERROR_EOF:
      return network ? unavailable(fmt::format("end of stream {}", during))
                     : data_loss(fmt::format("end of file {}", during));
    default: break;
  }
  const StatusCode code = network ? StatusCode::kUnavailable : StatusCode::kInvalidArgument;
  return {code, fmt::format("{} {}", redact(av::error_string(err)), during)};
}

Result<std::unique_ptr<DemuxReader>> DemuxReader::open(const SourceOptions& options,
                                                       Interrupter& interrupter) {
  return open_as(options, input_kind(options.url), interrupter);
}

Result<std::unique_ptr<DemuxReader>> DemuxReader::open_as(const SourceOptions& options,
                                                          InputKind kind,
                                                          Interrupter& interrupter) {
  AVDictionary* opts = nullptr;
  const AVInputFormat* format = nullptr;
  if (kind == InputKind::kRtsp) {
    av_dict_set(&opts, "rtsp_transport", options.rtsp_transport == Transport::kUdp ? "udp" : "tcp",
                0);
    av_dict_set(&opts, "timeout", micros(options.read_timeout_s).c_str(), 0);
    // Low latency: no reordering buffer wait for UDP.
    av_dict_set(&opts, "max_delay", "500000", 0);
  } else if (kind == InputKind::kHttp) {
    av_dict_set(&opts, "timeout", micros(options.read_timeout_s).c_str(), 0);
    av_dict_set(&opts, "reconnect", "0", 0);  // we reconnect ourselves, with backoff
    format = av_find_input_format("mpjpeg");
  }
  // A live source must not spend seconds probing before the first frame.
  if (kind != InputKind::kFile) {
    av_dict_set(&opts, "probesize", "1000000", 0);
    av_dict_set(&opts, "analyzeduration", "2000000", 0);
    av_dict_set(&opts, "fflags", "nobuffer", 0);
  }

  AVFormatContext* raw = avformat_alloc_context();
  raw->interrupt_callback.callback = &Interrupter::callback;
  raw->interrupt_callback.opaque = &interrupter;
  interrupter.arm(options.connect_timeout_s);
  int err = avformat_open_input(&raw, options.url.c_str(), format, &opts);
  av_dict_free(&opts);
  if (err < 0) {  // avformat_open_input frees the context on failure
    return classify_av_error(err, interrupter, options.connect_timeout_s, kind, "while opening");
  }
  std::unique_ptr<DemuxReader> reader(new DemuxReader());
  reader->ctx_.reset(raw);

  interrupter.arm(options.connect_timeout_s);
  err = avformat_find_stream_info(raw, nullptr);
  if (err < 0) {
    return classify_av_error(err, interrupter, options.connect_timeout_s, kind,
                             "while probing streams");
  }
  const AVCodec* decoder = nullptr;
  err = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, &decoder, 0);
  if (err == AVERROR_STREAM_NOT_FOUND) return invalid_argument("no video stream in the input");
  if (err == AVERROR_DECODER_NOT_FOUND || decoder == nullptr) {
    int any_video = -1;
    for (unsigned i = 0; i < raw->nb_streams; ++i) {
      if (raw->streams[i]->codecpar->codec_type == AVMEDIA_TYPE_VIDEO)
        any_video = static_cast<int>(i);
    }
    const char* name =
        any_video >= 0 ? avcodec_get_name(raw->streams[any_video]->codecpar->codec_id) : "?";
    return Status(StatusCode::kUnimplemented, fmt::format("unsupported codec {}", name));
  }
  if (err < 0) {
    return classify_av_error(err, interrupter, options.connect_timeout_s, kind,
                             "while selecting the video stream");
  }
  reader->stream_index_ = err;
  for (unsigned i = 0; i < raw->nb_streams; ++i) {
    if (static_cast<int>(i) != reader->stream_index_) raw->streams[i]->discard = AVDISCARD_ALL;
  }
  return reader;
}

int DemuxReader::read(AVPacket& packet) {
  for (;;) {
    av_packet_unref(&packet);
    const int err = av_read_frame(ctx_.get(), &packet);
    if (err < 0) return err;
    if (packet.stream_index == stream_index_) return 0;
  }
}

int DemuxReader::rewind() {
  return avformat_seek_file(ctx_.get(), -1, INT64_MIN, 0, 0, AVSEEK_FLAG_BACKWARD);
}

}  // namespace vigie::ingest
