#include "engine/detection_service.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>

#include <spdlog/spdlog.h>

namespace vigie::engine {
namespace {

/// A region larger than this share of the frame is not worth cropping: the whole frame is
/// shown instead.
constexpr double kWholeFrameShare = 0.5;
/// Crops are shown to the network at most this much enlarged.
constexpr int kMaxUpscale = 2;

/// A count only refines an estimate the rule already has; a confirmation may hold an alert.
bool low_priority(const rules::DetectorRequest& r) {
  return r.purpose == rules::DetectorPurpose::kCount;
}

double seconds_of(SteadyTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

/// A box found in a region shown turned (`turned`: the size the detector saw), in the
/// region's own pixels.
cv::Rect2d unturned(const cv::Rect2d& b, cv::Size turned, rules::Turn turn) {
  switch (turn) {
    case rules::Turn::kNone: return b;
    // The region's bottom-left corner was shown top-left, its left edge on top.
    case rules::Turn::kClockwise: return {b.y, turned.width - b.x - b.width, b.height, b.width};
    // Its top-right corner was shown top-left, its right edge on top.
    case rules::Turn::kCounterClockwise:
      return {turned.height - b.y - b.height, b.x, b.height, b.width};
  }
  return b;
}

/// The part of a picture of `picture` size to show for `region` (source pixels; the picture
/// has `scale` source pixels per pixel): the region, widened around its centre to at least
/// `min_side` picture pixels (upscaling a small crop more than twice makes blur the
/// detector does not recognise), or the whole picture when that is most of it anyway.
cv::Rect crop_area(const cv::Rect2d& region, cv::Size picture, double scale, int min_side) {
  const cv::Rect whole({0, 0}, picture);
  cv::Rect area(static_cast<int>(std::floor(region.x / scale)),
                static_cast<int>(std::floor(region.y / scale)),
                static_cast<int>(std::ceil(region.width / scale)) + 1,
                static_cast<int>(std::ceil(region.height / scale)) + 1);
  if (area.width < min_side || area.height < min_side) {
    const cv::Point centre = (area.tl() + area.br()) / 2;
    const int w = std::max(area.width, min_side), h = std::max(area.height, min_side);
    area = cv::Rect(centre.x - w / 2, centre.y - h / 2, w, h);
  }
  area &= whole;
  if (area.area() <= 0 || area.area() > kWholeFrameShare * whole.area()) area = whole;
  return area;
}

}  // namespace

bool RateBudget::take(double t, double keep) {
  if (last_ >= 0 && t > last_) tokens_ = std::min(capacity_, tokens_ + (t - last_) * rate_);
  if (last_ < 0 || t > last_) last_ = t;
  if (tokens_ < std::min(capacity_, 1.0 + keep)) return false;
  tokens_ -= 1.0;
  return true;
}

DetectionService::DetectionService(std::vector<std::unique_ptr<perceive::Detector>> detectors,
                                   const config::DetectorConfig& config, const Clock& clock)
    : config_(config),
      clock_(clock),
      detectors_(std::move(detectors)),
      node_budget_(config.global_rate_hz) {
  if (detectors_.empty()) throw std::invalid_argument("DetectionService needs a detector");
  hash_ = detectors_.front()->model_hash();
  if (config_.sync) return;
  for (std::size_t i = 0; i < detectors_.size(); ++i) {
    workers_.emplace_back("vigie-detect",
                          [this, i](const std::stop_token& stop) { work(i, stop); });
  }
}

DetectionService::~DetectionService() {
  stop();
}

void DetectionService::stop() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    queue_.clear();
  }
  for (auto& w : workers_) w.request_stop();
  for (auto& w : workers_) w.stop();
}

bool DetectionService::submit(const CameraId& camera, const rules::DetectorRequest& request,
                              const cv::Mat& frame, double to_source, const SourcePicture* source) {
  if (frame.empty()) return false;
  Job job;
  job.camera = camera;
  job.request = request;
  const int input = detectors_.front()->input_size();
  {
    std::lock_guard lock(mutex_);
    if (closed_) return false;
    // Synchronous mode counts stream time, so that the same clip gives the same answers.
    const double t = config_.sync ? request.t : seconds_of(clock_.now());
    auto [budget, fresh] = camera_budget_.try_emplace(camera, config_.camera_rate_hz);
    (void)fresh;
    const bool low = low_priority(request);
    const auto room = static_cast<std::size_t>(low ? config_.queue_size / 2 : config_.queue_size);
    if (!config_.sync && queue_.size() >= room) {
      ++stats_.refused_queue;
      return false;
    }
    // The camera's budget first: a camera over its own share must not use the node's. A
    // low-priority request leaves one token for the questions an alert may wait on.
    const double keep = low ? 1.0 : 0.0;
    if (!budget->second.take(t, keep) || (!config_.sync && !node_budget_.take(t, keep))) {
      ++stats_.refused_budget;
      return false;
    }
  }
  if (source != nullptr) {
    // Upright candidates keep the field the analysis image would give (at least half the
    // network input in analysis pixels), only sharper: shown closer, walkers were missed
    // more often. A look turned for someone lying is shown closer, at up to 2x the source:
    // that is what lets these models see a body on the ground.
    const double field = request.turn == rules::Turn::kNone ? to_source : 1.0;
    const int min_side = static_cast<int>(std::lround(input / kMaxUpscale * field));
    const cv::Rect area = crop_area(request.region, source->size(), 1.0, min_side);
    // Read at most at the network's input size: the detector would shrink it anyway.
    const double fit =
        std::min(1.0, static_cast<double>(input) / std::max(area.width, area.height));
    const cv::Size size(std::max(1, static_cast<int>(std::lround(area.width * fit))),
                        std::max(1, static_cast<int>(std::lround(area.height * fit))));
    job.image = source->region(area, size);
    job.shown = area;
  }
  if (job.image.empty()) {  // no source picture, or it could not be read
    const cv::Rect area = crop_area(request.region, frame.size(), to_source, input / kMaxUpscale);
    job.image = frame(area).clone();  // the decoder may reuse the frame's buffer
    job.shown = cv::Rect2d(area.x * to_source, area.y * to_source, area.width * to_source,
                           area.height * to_source);
  }
  if (request.turn != rules::Turn::kNone) {
    cv::rotate(job.image, job.image,
               request.turn == rules::Turn::kClockwise ? cv::ROTATE_90_CLOCKWISE
                                                       : cv::ROTATE_90_COUNTERCLOCKWISE);
  }
  job.queued_at = clock_.now();
  if (config_.sync) {
    std::lock_guard sync(sync_mutex_);
    rules::DetectorAnswer answer = run(*detectors_.front(), job);
    std::lock_guard lock(mutex_);
    answers_[camera].push_back(std::move(answer));
    return true;
  }
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_one();
  return true;
}

std::vector<rules::DetectorAnswer> DetectionService::take_answers(const CameraId& camera) {
  std::lock_guard lock(mutex_);
  auto it = answers_.find(camera);
  if (it == answers_.end() || it->second.empty()) return {};
  std::vector<rules::DetectorAnswer> out = std::move(it->second);
  it->second.clear();
  return out;
}

rules::DetectorAnswer DetectionService::run(perceive::Detector& detector, const Job& job) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<perceive::Detection> found = detector.detect(job.image);
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() -
                                                              started)
                        .count();
  rules::DetectorAnswer a;
  a.id = job.request.id;
  a.region = job.request.region;
  a.t = job.request.t;
  a.purpose = job.request.purpose;
  const double input = detector.input_size();
  // Source pixels per pixel of the image shown (turning swaps its sides, not its scale).
  const double s =
      job.shown.width / (job.request.turn == rules::Turn::kNone ? job.image.cols : job.image.rows);
  a.scale = std::min(input / job.image.cols, input / job.image.rows) / s;
  for (perceive::Detection& d : found) {
    d.box = unturned(d.box, job.image.size(), job.request.turn);
    d.box = {job.shown.x + d.box.x * s, job.shown.y + d.box.y * s, d.box.width * s,
             d.box.height * s};
    a.found.push_back(d);
  }
  std::lock_guard lock(mutex_);
  ++stats_.inferences;
  stats_.inference_ms += ms;
  return a;
}

void DetectionService::work(std::size_t index, const std::stop_token& stop) {
  perceive::Detector& detector = *detectors_[index];
  while (true) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, stop, [&] { return !queue_.empty(); });
      if (stop.stop_requested()) return;
      // The oldest request of the highest priority waiting.
      auto next = std::find_if(queue_.begin(), queue_.end(),
                               [](const Job& j) { return !low_priority(j.request); });
      if (next == queue_.end()) next = queue_.begin();
      job = std::move(*next);
      queue_.erase(next);
      // An answer later than the timeout is useless: the rule has decided without it.
      if (seconds_between(job.queued_at, clock_.now()) > config_.confirm_timeout_s) {
        ++stats_.dropped_stale;
        continue;
      }
    }
    rules::DetectorAnswer answer = run(detector, job);
    std::lock_guard lock(mutex_);
    answers_[job.camera].push_back(std::move(answer));
  }
}

DetectionStats DetectionService::stats() const {
  std::lock_guard lock(mutex_);
  return stats_;
}

std::size_t DetectionService::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

Result<std::shared_ptr<DetectionService>> make_detection_service(
    const config::DetectorConfig& config, const Clock& clock) {
  std::vector<std::unique_ptr<perceive::Detector>> detectors;
  const int n = config.sync ? 1 : std::max(1, config.workers);
  for (int i = 0; i < n; ++i) {
    VIGIE_ASSIGN_OR_RETURN(auto d, perceive::make_detector(config));
    detectors.push_back(std::move(d));
  }
  spdlog::info("detector: {} loaded (sha256 {}), input {} px, {} worker(s){}", config.model,
               detectors.front()->model_hash(), detectors.front()->input_size(), n,
               config.sync ? ", synchronous" : "");
  return std::make_shared<DetectionService>(std::move(detectors), config, clock);
}

}  // namespace vigie::engine
