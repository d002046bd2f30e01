#include "evidence/evidence_writer.hpp"
#include "core/process_usage.hpp"

#include <chrono>
#include <exception>

#include <spdlog/spdlog.h>

namespace vigie::evidence {
namespace {

// A callback that throws must not take the worker (and every later alert's evidence) down.
void call(const EvidenceDone& done, Result<std::vector<EvidenceFile>> result) {
  if (!done) return;
  try {
    done(std::move(result));
  } catch (const std::exception& e) {
    spdlog::error("evidence: a completion callback threw: {}", e.what());
  } catch (...) {
    spdlog::error("evidence: a completion callback threw");
  }
}

}  // namespace

EvidenceWriter::EvidenceWriter(std::filesystem::path root, EvidenceOptions options,
                               std::size_t queue_limit)
    : root_(std::move(root)), options_(std::move(options)), queue_limit_(queue_limit) {
  worker_ = Worker("vigie-evidence", [this](const std::stop_token& stop) {
    // Rendering evidence can wait a moment; analysis cannot: a burst of alerts must never
    // slow the cameras down.
    make_this_thread_nicer(10);
    run(stop);
  });
}

EvidenceWriter::~EvidenceWriter() {
  stop(StopMode::kCancel);
}

void EvidenceWriter::submit(EvidenceRequest request, EvidenceDone done) {
  Result<std::filesystem::path> dir = evidence_dir(root_, request.alert.camera, request.alert.id);
  if (!dir) {
    {
      std::lock_guard lock(mutex_);
      ++counters_.dropped;
    }
    call(done, dir.status());
    return;
  }
  Status refused;
  {
    std::lock_guard lock(mutex_);
    if (closed_) {
      refused = unavailable("evidence writer stopped");
    } else if (queue_.size() >= queue_limit_) {
      refused = unavailable("evidence queue full (" + std::to_string(queue_limit_) +
                            "): no evidence for alert " + request.alert.id);
    } else {
      queue_.push_back({std::move(request), std::move(*dir), std::move(done)});
      ++counters_.submitted;
      counters_.queued = queue_.size();
      wake_.notify_one();
      return;
    }
    ++counters_.dropped;
  }
  // Outside the lock: the callback may submit again or read the counters.
  call(done, refused);
}

void EvidenceWriter::stop(StopMode mode) {
  std::lock_guard stop_lock(stop_mutex_);
  std::deque<Job> cancelled;
  {
    std::lock_guard lock(mutex_);
    closed_ = true;
    if (mode == StopMode::kCancel) {
      cancelled.swap(queue_);
      counters_.dropped += cancelled.size();
      counters_.queued = 0;
    }
  }
  // The worker renders what is still queued (kDrain) before it sees the stop and ends.
  worker_.request_stop();
  for (Job& job : cancelled) {
    call(job.done, Status(StatusCode::kCancelled,
                          "evidence writer stopped before alert " + job.request.alert.id));
  }
  worker_.stop();
}

EvidenceCounters EvidenceWriter::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

void EvidenceWriter::run(const std::stop_token& stop) {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to drain
      job = std::move(queue_.front());
      queue_.pop_front();
      counters_.queued = queue_.size();
    }
    const auto t0 = std::chrono::steady_clock::now();
    Result<std::vector<EvidenceFile>> result = internal_error("not rendered");
    // OpenCV and the allocator report failures by throwing; they end this request only.
    try {
      result = write_evidence(job.request, job.dir, options_);
    } catch (const std::exception& e) {
      result = internal_error(std::string("rendering evidence threw: ") + e.what());
    } catch (...) {
      result = internal_error("rendering evidence threw");
    }
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    {
      std::lock_guard lock(mutex_);
      counters_.last_render_ms = ms;
      ++(result.is_ok() ? counters_.written : counters_.failed);
    }
    if (!result.is_ok()) {
      spdlog::warn("evidence for alert {}: {}", job.request.alert.id, result.status().to_string());
    }
    call(job.done, std::move(result));
  }
}

}  // namespace vigie::evidence
