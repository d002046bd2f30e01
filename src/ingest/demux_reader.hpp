#pragma once
// Opening an input and reading its video packets, with deadlines: every blocking libav
// call polls an interrupt callback that gives up when its deadline passes or on stop.
// Used only by a source's I/O thread.

#include <atomic>
#include <chrono>
#include <memory>
#include <string>

#include "core/status.hpp"
#include "ingest/libav.hpp"
#include "ingest/source.hpp"

namespace vigie::ingest {

/// The interrupt callback's state: a deadline for the current blocking call, and the stop flag.
class Interrupter {
 public:
  /// The next blocking call may take `seconds` at most.
  void arm(double seconds);
  /// True once stop() was requested.
  [[nodiscard]] bool stopping() const { return stop_.load(); }
  void request_stop() { stop_.store(true); }
  /// True when the last interruption was the deadline, not stop.
  [[nodiscard]] bool expired() const;
  /// For AVIOInterruptCB::callback; `opaque` is the Interrupter.
  static int callback(void* opaque);

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::int64_t> deadline_ns_{0};
};

/// What kind of input a URL names.
enum class InputKind { kFile, kRtsp, kHttp };
InputKind input_kind(const std::string& url);

/// An opened input positioned on its best video stream.
class DemuxReader {
 public:
  /// Opens `options.url`. Errors name the cause, never the URL's credentials:
  /// kUnavailable (refused, unreachable, timed out: retry), kNotFound (no such file or
  /// stream path), kInvalidArgument (not a media file, no video stream),
  /// kUnimplemented (no decoder for the codec), kCancelled (stop).
  static Result<std::unique_ptr<DemuxReader>> open(const SourceOptions& options,
                                                   Interrupter& interrupter);
  /// As open(), with the input read as `kind` whatever its URL says: a file holding a
  /// recorded multipart MJPEG stream is read as kHttp, with the demuxer a camera gets.
  static Result<std::unique_ptr<DemuxReader>> open_as(const SourceOptions& options,
                                                      InputKind kind, Interrupter& interrupter);

  /// Reads the next packet of the video stream into `packet` (other streams are skipped).
  /// Returns 0, AVERROR_EOF at the end, or another libav error (see classify_av_error).
  int read(AVPacket& packet);
  /// Back to the start (files, for looping). Returns a libav error code, 0 on success.
  int rewind();

  [[nodiscard]] AVStream& stream() const { return *ctx_->streams[stream_index_]; }
  [[nodiscard]] const char* format_name() const { return ctx_->iformat->name; }

 private:
  DemuxReader() = default;
  av::InputPtr ctx_;
  int stream_index_ = -1;
};

/// A human-readable cause for a libav error while opening or reading, with its code.
Status classify_av_error(int averror, const Interrupter& interrupter, double timeout_s,
                         InputKind kind, const char* during);

}  // namespace vigie::ingest
