#pragma once
// The evidence worker: renders alerts' evidence on its own thread, off the pipeline
// workers, from a bounded queue. A burst of alerts never blocks a camera: what does not fit
// is refused at once, and counted.

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stop_token>
#include <vector>

#include "core/status.hpp"
#include "core/worker.hpp"
#include "evidence/evidence.hpp"

namespace vigie::evidence {

/// Called once per submitted request with the files written (in write_evidence's order) or
/// why there are none: on the worker thread, or on the submitting thread when the request
/// is refused. It must not call back into the writer's stop().
using EvidenceDone = std::function<void(Result<std::vector<EvidenceFile>>)>;

/// What the writer has done so far.
struct EvidenceCounters {
  std::uint64_t submitted = 0;  ///< requests accepted into the queue
  std::uint64_t written = 0;    ///< requests whose files were all written
  std::uint64_t failed = 0;     ///< requests that were rendered and failed
  std::uint64_t dropped = 0;    ///< requests refused (queue full, stopped) or cancelled
  std::size_t queued = 0;       ///< requests waiting now (not counting the one in progress)
  double last_render_ms = 0.0;  ///< wall time of the latest request, rendering and writing
};

/// How stop() treats the requests still queued.
enum class StopMode {
  kDrain,   ///< render them all first (a clean shutdown)
  kCancel,  ///< their callbacks get kCancelled (a fast shutdown)
};

/// One worker thread rendering requests into `<root>/<camera>/<alert id>/`. Thread-safe:
/// any thread submits; one thread stops.
class EvidenceWriter {
 public:
  /// Starts the worker. `queue_limit` requests may wait; more are refused.
  explicit EvidenceWriter(std::filesystem::path root, EvidenceOptions options = {},
                          std::size_t queue_limit = 64);
  /// Stops with StopMode::kCancel if stop() was not called.
  ~EvidenceWriter();
  EvidenceWriter(const EvidenceWriter&) = delete;
  EvidenceWriter& operator=(const EvidenceWriter&) = delete;

  /// Queues a request; never blocks on rendering. When the queue is full, or the writer is
  /// stopped, `done` runs at once on this thread with kUnavailable (counted as dropped); with
  /// ids unsafe for a path, with kInvalidArgument.
  void submit(EvidenceRequest request, EvidenceDone done);
  /// Stops accepting, treats the queue as `mode` says, finishes the request in progress and
  /// joins the worker. Idempotent.
  void stop(StopMode mode = StopMode::kDrain);

  [[nodiscard]] EvidenceCounters counters() const;
  [[nodiscard]] const EvidenceOptions& options() const { return options_; }
  [[nodiscard]] const std::filesystem::path& root() const { return root_; }

 private:
  struct Job {
    EvidenceRequest request;
    std::filesystem::path dir;
    EvidenceDone done;
  };
  void run(const std::stop_token& stop);

  const std::filesystem::path root_;
  const EvidenceOptions options_;
  const std::size_t queue_limit_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;  // a request was queued (a stop wakes it by itself)
  std::deque<Job> queue_;             // guarded by mutex_
  bool closed_ = false;               // guarded by mutex_: stop() was called, submit() refuses
  EvidenceCounters counters_;         // guarded by mutex_
  std::mutex stop_mutex_;             ///< serialises stop() callers
  Worker worker_;                     // last: it uses the members above
};

}  // namespace vigie::evidence
