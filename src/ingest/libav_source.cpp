// The Source implementation: a supervisor on the I/O thread (open, read, back off, reopen)
// and a decoder driven by step().

#include <atomic>
#include <mutex>
#include <random>
#include <stop_token>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "core/log.hpp"
#include "core/redact.hpp"
#include "core/worker.hpp"
#include "ingest/backoff.hpp"
#include "ingest/demux_reader.hpp"
#include "ingest/frame_decoder.hpp"
#include "ingest/health_tracker.hpp"
#include "ingest/packet_queue.hpp"
#include "ingest/sampler.hpp"
#include "ingest/source.hpp"

namespace vigie::ingest {
namespace {

using Steady = std::chrono::steady_clock;

class LibavSource final : public Source {
 public:
  LibavSource(SourceOptions options, const Clock& clock)
      : opts_(std::move(options)),
        clock_(clock),
        kind_(input_kind(opts_.url)),
        shown_url_(redact_url(opts_.url)),
        health_(opts_.camera, clock),
        ring_(opts_.ring_seconds),
        queue_(static_cast<std::size_t>(std::max(2, opts_.queue_packets)),
               kind_ == InputKind::kFile && opts_.pacing == Pacing::kAsFastAsPossible
                   ? OverflowPolicy::kBlock
                   : OverflowPolicy::kDropToKeyframe),
        sampler_(opts_.analysis_fps),
        decode_log_("camera " + opts_.camera, clock) {}

  // No on_ready from the destructor: whoever gave the callback may be gone already.
  ~LibavSource() override { shutdown(false); }

  void start(std::function<void()> on_ready) override {
    std::lock_guard lock(lifecycle_mutex_);
    if (started_ || stopped_) return;
    started_ = true;
    on_ready_ = std::move(on_ready);
    io_ = Worker("vigie-input", [this](const std::stop_token& stop) { run_io(stop); });
  }

  void stop() override { shutdown(true); }

  StepResult step(Frame& out) override;

  [[nodiscard]] CameraHealth health() const override { return health_.health(); }
  [[nodiscard]] const PacketRing& ring() const override { return ring_; }

 private:
  void shutdown(bool notify) {
    std::lock_guard lock(lifecycle_mutex_);
    if (stopped_) return;
    stopped_ = true;
    interrupter_.request_stop();  // libav's blocking calls return
    queue_.cancel();              // so does a push waiting for room
    io_.stop();                   // and a backoff or pacing sleep; joined
    health_.set_final(CameraState::kStopped, "stopped");
    step_stopped_.store(true);
    if (notify && on_ready_) on_ready_();
  }
  void run_io(const std::stop_token& stop);
  /// One connection: returns when it ends; sets `finished` when the source is done for good.
  void run_session(DemuxReader& reader, std::uint64_t session, bool& finished,
                   const std::stop_token& stop);
  void wake(bool became_ready) {
    if (became_ready && on_ready_) on_ready_();
  }
  void finish(std::string reason, bool failed) {
    QueueItem end;
    end.kind = QueueItem::Kind::kEnd;
    end.reason = std::move(reason);
    end.failed = failed;
    wake(queue_.push_marker(std::move(end)));
  }
  /// Handles one decoded frame; true when it was sampled into `out`.
  bool on_frame(const AVFrame& frame, Frame& out);
  /// Logs, once per source, how its decoder runs when hardware decoding was asked for.
  void report_decoder(const HwDecode& hw);
  void decode_error(const Status& status) {
    ++health_.counters().decode_errors;
    decode_log_.warn(status.message());
  }

  const SourceOptions opts_;
  const Clock& clock_;
  const InputKind kind_;
  const std::string shown_url_;
  // Each locks itself: written by the I/O thread (and stop), read by step() and anyone.
  HealthTracker health_;
  PacketRing ring_;
  PacketQueue queue_;
  Interrupter interrupter_;  // set by stop(), read by the I/O thread and libav's callback

  std::mutex lifecycle_mutex_;
  bool started_ = false;            // guarded by lifecycle_mutex_
  bool stopped_ = false;            // guarded by lifecycle_mutex_
  std::function<void()> on_ready_;  // set by start() before the I/O thread, then read-only

  // step() state: one worker at a time.
  std::atomic<bool> step_stopped_{false};
  std::unique_ptr<FrameDecoder> decoder_;
  BgrScaler scaler_;
  FrameSampler sampler_;
  ThrottledLog decode_log_;
  bool decoder_reported_ = false;
  bool draining_ = false;
  bool ended_ = false;
  QueueItem end_;
  std::int64_t next_index_ = 0;

  Worker io_;  // guarded by lifecycle_mutex_ (start, stop); last: it uses the members above
};

void LibavSource::run_io(const std::stop_token& stop) {
  std::uint64_t seed = opts_.backoff_seed;
  if (seed == 0) seed = std::random_device{}() ^ std::hash<std::string>{}(opts_.camera);
  Backoff backoff(opts_.backoff_min_s, opts_.backoff_max_s, seed);
  std::string last_error;
  for (int attempt = 0; !interrupter_.stopping(); ++attempt) {
    if (attempt > 0) ++health_.counters().reconnects;
    const std::uint64_t session = health_.begin_session();
    health_.set(CameraState::kConnecting,
                attempt == 0 ? fmt::format("opening {}", shown_url_)
                             : fmt::format("reconnecting to {} (attempt {}, last error: {})",
                                           shown_url_, attempt, last_error));
    Result<std::unique_ptr<DemuxReader>> reader = DemuxReader::open(opts_, interrupter_);
    if (interrupter_.stopping()) return;
    if (!reader) {
      last_error = redact(reader.status().message());
      if (kind_ == InputKind::kFile) {
        const std::string reason = fmt::format("cannot open {}: {}", shown_url_, last_error);
        health_.set_final(CameraState::kFailed, reason);
        finish(reason, true);
        return;
      }
      const double delay = backoff.next();
      health_.set(CameraState::kFailed, fmt::format("cannot open {}: {}; retrying in {:.1f} s",
                                                    shown_url_, last_error, delay));
      if (!sleep_for(stop, std::chrono::duration<double>(delay))) return;
      continue;
    }
    bool finished = false;
    const Steady::time_point began = Steady::now();
    run_session(**reader, session, finished, stop);
    reader->reset();  // close the connection before waiting
    if (finished || interrupter_.stopping()) return;
    if (seconds_between(began, Steady::now()) >= opts_.backoff_reset_after_s) backoff.reset();
    last_error = health_.health().reason;
    const double delay = backoff.next();
    // run_session left the state (stalled or failed) with the cause; add the plan.
    const CameraHealth now = health_.health();
    health_.set(now.state, fmt::format("{}; reconnecting in {:.1f} s", now.reason, delay));
    if (!sleep_for(stop, std::chrono::duration<double>(delay))) return;
  }
}

void LibavSource::run_session(DemuxReader& reader, std::uint64_t session, bool& finished,
                              const std::stop_token& stop) {
  const bool file = kind_ == InputKind::kFile;
  const bool paced = file && opts_.pacing == Pacing::kRealtime;
  AVStream& st = reader.stream();
  const AVRational tb = st.time_base;
  av::PacketPtr pkt = av::make_packet();
  std::shared_ptr<av::StreamInfo> info;
  Steady::time_point pace_start{};
  std::int64_t loop_offset = 0;    // added to timestamps after each rewind, to stay monotonic
  std::int64_t next_expected = 0;  // end of the last packet, including loop_offset
  const Steady::time_point opened = Steady::now();

  for (;;) {
    interrupter_.arm(info && !file ? opts_.stall_after_s : opts_.read_timeout_s);
    const int err = reader.read(*pkt);
    if (interrupter_.stopping()) return;
    if (err == 0) {
      if (pkt->pts == AV_NOPTS_VALUE && pkt->dts == AV_NOPTS_VALUE) {
        // Raw MJPEG over HTTP carries no timestamps: arrival time is the truth.
        const double t = seconds_between(opened, Steady::now());
        pkt->pts = pkt->dts = av_rescale_q(static_cast<std::int64_t>(t * 1e6), {1, 1000000}, tb);
      }
      ++health_.counters().packets_read;
      // Nothing before the connection's first keyframe can be decoded: do not queue it.
      if (!info && (pkt->flags & AV_PKT_FLAG_KEY) == 0) continue;
      if (pkt->pts != AV_NOPTS_VALUE) pkt->pts += loop_offset;
      if (pkt->dts != AV_NOPTS_VALUE) pkt->dts += loop_offset;
      const std::int64_t ts = av::packet_ts(*pkt);
      if (!info) {
        info = av::stream_info(st);
        info->first_pts = ts;
        info->session = session;
        ring_.reset(info);
        QueueItem marker;
        marker.kind = QueueItem::Kind::kSession;
        marker.stream = info;
        wake(queue_.push_marker(std::move(marker)));
        pace_start = Steady::now();
      }
      next_expected = std::max(next_expected, ts + std::max<std::int64_t>(pkt->duration, 1));
      if (paced) {
        const double t = info->seconds(ts);
        const Steady::time_point due = pace_start + std::chrono::duration_cast<Steady::duration>(
                                                        std::chrono::duration<double>(t));
        if (!sleep_for(stop, due - Steady::now())) return;
      }
      ring_.push(*pkt);
      const PacketQueue::PushResult pushed = queue_.push_packet(av::clone_packet(*pkt));
      if (pushed.cancelled) return;
      if (pushed.dropped > 0) health_.counters().frames_dropped += pushed.dropped;
      wake(pushed.became_ready);
      continue;
    }

    if (file && err == AVERROR_EOF) {
      if (opts_.loop && info) {
        const int rewound = reader.rewind();
        if (rewound >= 0) {
          // The first packet after the rewind has the file's first timestamp again.
          loop_offset = next_expected - info->first_pts;
          continue;
        }
        spdlog::warn("camera {}: cannot rewind {}: {}", opts_.camera, shown_url_,
                     av::error_string(rewound));
      }
      finished = true;
      finish(fmt::format("end of file {}", shown_url_), false);
      return;
    }
    const double waited = info && !file ? opts_.stall_after_s : opts_.read_timeout_s;
    Status status = classify_av_error(err, interrupter_, waited, kind_, "while reading");
    std::string cause = status.code() == StatusCode::kDeadlineExceeded
                            ? fmt::format("no packet for {:.1f} s", waited)
                            : status.message();
    if (file) {
      finished = true;
      const std::string reason = fmt::format("read error in {}: {}", shown_url_, cause);
      health_.set_final(CameraState::kFailed, reason);
      finish(reason, true);
      return;
    }
    if (info) {
      health_.set(CameraState::kStalled, fmt::format("stream broke: {}", cause));
    } else {
      health_.set(CameraState::kFailed, fmt::format("no data from {}: {}", shown_url_, cause));
    }
    return;
  }
}

bool LibavSource::on_frame(const AVFrame& frame, Frame& out) {
  health_.frame_decoded();
  const av::StreamInfo& info = decoder_->stream();
  const HwDecode& hw = decoder_->hw();
  std::string decoding;
  if (hw.active()) {
    decoding = " on " + hw.name();
  } else if (!hw.fallback_reason.empty()) {
    decoding = " in software (" + hw.fallback_reason + ")";
  }
  health_.mark_live(info.session, fmt::format("receiving {}x{} {}{}", frame.width, frame.height,
                                              avcodec_get_name(info.codecpar->codec_id), decoding));
  const double t = decoder_->pts_s(frame);
  if (!sampler_.take(t)) return false;
  const Status scaled = scaler_.scale(frame, opts_.analysis_width, out.bgr);
  if (!scaled.is_ok()) {
    decode_error(scaled);
    return false;
  }
  out.camera = opts_.camera;
  out.pts_s = t;
  out.wall = clock_.wall_now();
  out.index = next_index_++;
  out.source_width = frame.width;
  out.source_height = frame.height;
  out.source = std::make_shared<AvSourcePicture>(frame);
  ++health_.counters().frames_analysed;
  return true;
}

void LibavSource::report_decoder(const HwDecode& hw) {
  if (decoder_reported_ || opts_.hwaccel == HwAccel::kNone) return;
  decoder_reported_ = true;
  if (hw.active()) {
    spdlog::info("camera {}: decoding on {}", opts_.camera, hw.name());
  } else {
    // kAuto promises nothing: a machine without a device is expected, not a fault.
    spdlog::log(opts_.hwaccel == HwAccel::kAuto ? spdlog::level::info : spdlog::level::warn,
                "camera {}: hardware decoding ({}) unavailable, decoding in software: {}",
                opts_.camera, to_string(opts_.hwaccel), hw.fallback_reason);
  }
}

StepResult LibavSource::step(Frame& out) {
  if (step_stopped_.load() || ended_) return StepResult::kEnded;
  // Bounded work per call so one camera cannot hold a worker for long.
  int budget = 32;
  for (;;) {
    if (decoder_) {
      for (int tries = 0; tries < 16; ++tries) {
        Result<const AVFrame*> got = decoder_->receive();
        if (!got) {
          decode_error(got.status());
          continue;
        }
        if (*got == nullptr) break;
        if (on_frame(**got, out)) return StepResult::kFrame;
      }
    }
    if (draining_) {
      ended_ = true;
      if (!end_.failed) health_.set_final(CameraState::kEnded, end_.reason);
      return StepResult::kEnded;
    }
    if (budget-- == 0) {
      // Give the worker back to other cameras, and ask to be scheduled again.
      if (on_ready_) on_ready_();
      return StepResult::kIdle;
    }
    std::optional<QueueItem> item = queue_.pop();
    if (!item) return StepResult::kIdle;
    switch (item->kind) {
      case QueueItem::Kind::kSession: {
        sampler_.reset();
        Result<std::unique_ptr<FrameDecoder>> dec =
            FrameDecoder::open(item->stream, {.skip_loop_filter = opts_.skip_loop_filter,
                                              .skip_non_reference = opts_.skip_non_reference,
                                              .hwaccel = opts_.hwaccel});
        if (dec) {
          decoder_ = std::move(*dec);
          report_decoder(decoder_->hw());
        } else {
          decoder_.reset();
          decode_error(dec.status());
        }
        break;
      }
      case QueueItem::Kind::kFlush:
        if (decoder_) decoder_->flush();
        break;
      case QueueItem::Kind::kPacket:
        if (decoder_) {
          const Status sent = decoder_->send(item->packet.get());
          if (!sent.is_ok()) decode_error(sent);
        }
        break;
      case QueueItem::Kind::kEnd:
        end_ = std::move(*item);
        draining_ = true;
        if (decoder_) (void)decoder_->send(nullptr);
        break;
    }
  }
}

}  // namespace

std::unique_ptr<Source> make_source(SourceOptions options, const Clock& clock) {
  av::install_log_bridge();
  return std::make_unique<LibavSource>(std::move(options), clock);
}

}  // namespace vigie::ingest
