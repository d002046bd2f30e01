#pragma once
// The node's one object detector, shared by every camera: a bounded queue of requests
// (regions of frames), worker threads running the model, a budget per camera and one for
// the node (inferences per second). Cameras never wait for it: submit() returns at once,
// refusing what the queue or the budgets cannot take, and answers are collected on a later
// frame with take_answers(). In synchronous mode (evaluation) submit() runs the model on the
// caller's thread and the answer is ready when it returns, so results do not depend on
// timing; the per-camera budget then counts stream time, and the node budget is not applied.
// People counts go last: they never take a budget's last token nor a place in the queue's
// second half, and a worker runs every other waiting request before them.

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <stop_token>
#include <vector>

#include "config/config.hpp"
#include "core/clock.hpp"
#include "core/frame.hpp"
#include "core/worker.hpp"
#include "perceive/detector.hpp"
#include "rules/detections.hpp"

namespace vigie::engine {

/// Counters since start, for benchmarks and logs.
struct DetectionStats {
  std::uint64_t inferences = 0;
  double inference_ms = 0;              ///< summed over inferences
  std::uint64_t refused_budget = 0;     ///< over a camera's or the node's budget
  std::uint64_t refused_queue = 0;      ///< queue full
  std::uint64_t dropped_stale = 0;      ///< waited longer than confirm_timeout_s: not run
};

/// A token bucket: `rate` per second, holding at most one second's worth (at least one).
class RateBudget {
 public:
  explicit RateBudget(double rate) : rate_(rate), capacity_(std::max(1.0, rate)), tokens_(capacity_) {}
  /// Takes one token at time `t` (seconds, any origin that only increases), leaving at least
  /// `keep` tokens (or from a full bucket, when it holds fewer than 1 + keep); false when it
  /// cannot.
  bool take(double t, double keep = 0);

 private:
  double rate_;
  double capacity_;
  double tokens_;
  double last_ = -1;
};

class DetectionService {
 public:
  /// `detectors`: one per worker (a network is not re-entrant); at least one.
  DetectionService(std::vector<std::unique_ptr<perceive::Detector>> detectors,
                   const config::DetectorConfig& config, const Clock& clock);
  ~DetectionService();
  DetectionService(const DetectionService&) = delete;
  DetectionService& operator=(const DetectionService&) = delete;

  /// Queues `request` for `camera` on `frame` (the analysis image; the region is copied).
  /// With `source` (the picture `frame` was scaled from), the region is read from it at up
  /// to source resolution instead: a person far away has a few times more pixels there.
  /// Never blocks on inference (except in synchronous mode). False when refused.
  /// Thread: any; one camera's calls come from one thread at a time.
  bool submit(const CameraId& camera, const rules::DetectorRequest& request, const cv::Mat& frame,
              double to_source, const SourcePicture* source = nullptr);
  /// Answers ready for `camera`, oldest first. Thread: any.
  std::vector<rules::DetectorAnswer> take_answers(const CameraId& camera);

  [[nodiscard]] const std::string& model_hash() const { return hash_; }
  /// What the model is shown around a candidate (perceive::Detector::context_share).
  [[nodiscard]] double context_share() const { return detectors_.front()->context_share(); }
  [[nodiscard]] const config::DetectorConfig& config() const { return config_; }
  [[nodiscard]] DetectionStats stats() const;
  /// Requests waiting now.
  [[nodiscard]] std::size_t queued() const;
  /// Stops the workers; waiting requests are dropped. Idempotent.
  void stop();

 private:
  struct Job {
    CameraId camera;
    rules::DetectorRequest request;
    cv::Mat image;     ///< the region, copied, turned as the request asks
    cv::Rect2d shown;  ///< what `image` shows, in source pixels
    SteadyTime queued_at;
  };
  rules::DetectorAnswer run(perceive::Detector& detector, const Job& job);
  void work(std::size_t index, const std::stop_token& stop);

  config::DetectorConfig config_;
  const Clock& clock_;
  // One per worker, each used by its worker only (the synchronous mode's by callers, one at
  // a time under sync_mutex_).
  std::vector<std::unique_ptr<perceive::Detector>> detectors_;
  std::string hash_;
  mutable std::mutex mutex_;
  std::condition_variable_any wake_;  // a request was queued (a stop wakes it by itself)
  std::deque<Job> queue_;             // guarded by mutex_
  std::map<CameraId, std::vector<rules::DetectorAnswer>> answers_;  // guarded by mutex_
  std::map<CameraId, RateBudget> camera_budget_;                    // guarded by mutex_
  RateBudget node_budget_;                                          // guarded by mutex_
  DetectionStats stats_;                                            // guarded by mutex_
  bool closed_ = false;    // guarded by mutex_: stop() was called, submit() refuses
  std::mutex sync_mutex_;  ///< synchronous mode: one inference at a time
  std::vector<Worker> workers_;  // last: they use the members above
};

/// Loads the configured model once per worker and starts the service. InvalidArgument
/// naming the file when the model does not load.
Result<std::shared_ptr<DetectionService>> make_detection_service(
    const config::DetectorConfig& config, const Clock& clock);

}  // namespace vigie::engine
