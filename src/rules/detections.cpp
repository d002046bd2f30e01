#include "rules/detections.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace vigie::rules {
namespace {

/// A detection counts for a candidate when it covers this share of it (or the reverse:
/// a blob may hold only part of a body, a detection only part of a blob).
constexpr double kCoverShare = 0.5;
/// Candidates not asked about for this long are forgotten.
constexpr double kForgetAfterS = 10.0;

}  // namespace

double cover(const cv::Rect2d& box, const cv::Rect2d& detection) {
  const double inter = (box & detection).area();
  if (inter <= 0) return 0;
  return std::max(inter / std::max(1e-9, box.area()), inter / std::max(1e-9, detection.area()));
}

cv::Rect2d context_region(const cv::Rect2d& box, cv::Size source, double share) {
  // By default half the box's larger side on each side: a person box becomes about square,
  // a bag box shows what is around it (whose feet, whose hand).
  const double m = share * std::max(box.width, box.height);
  const cv::Rect2d r(box.x - m, box.y - m, box.width + 2 * m, box.height + 2 * m);
  return r & cv::Rect2d(0, 0, source.width, source.height);
}

DetectorLink::DetectorLink(DetectorPolicy policy, std::string model_hash, cv::Size source,
                           Submit submit)
    : policy_(policy),
      model_hash_(std::move(model_hash)),
      source_(source),
      submit_(std::move(submit)) {}

void DetectorLink::begin_frame(double t) {
  now_ = t;
  fresh_.clear();
  std::erase_if(asks_, [&](const auto& entry) {
    const bool old = t - entry.second.last_used > kForgetAfterS;
    if (old && entry.second.sent_id != 0) waiting_.erase(entry.second.sent_id);
    return old;
  });
}

void DetectorLink::deliver(DetectorAnswer answer) {
  spdlog::debug("detector answer {} t={:.1f} region=[{:.0f},{:.0f},{:.0f},{:.0f}] found {}", answer.id,
                answer.t, answer.region.x, answer.region.y, answer.region.width,
                answer.region.height, answer.found.size());
  for (const Detection& d : answer.found) {
    spdlog::debug("  {} {:.2f} [{:.0f},{:.0f},{:.0f},{:.0f}]", perceive::to_string(d.role), d.score,
                  d.box.x, d.box.y, d.box.width, d.box.height);
  }
  if (auto it = waiting_.find(answer.id); it != waiting_.end()) {
    if (auto a = asks_.find(it->second); a != asks_.end() && a->second.sent_id == answer.id) {
      a->second.answer = answer;
      a->second.sent_id = 0;
    }
    waiting_.erase(it);
  }
  fresh_.push_back(std::move(answer));
}

bool DetectorLink::send(const std::string& key, Ask& ask, const cv::Rect2d& region, double t,
                        Turn turn) {
  DetectorRequest r{next_id_++, region, t, DetectorPurpose::kConfirm, turn};
  ask.sent_id = r.id;
  waiting_[r.id] = key;
  if (!submit_ || !submit_(r)) {
    // Refused: asked again on the next frame, until the timeout decides.
    if (ask.sent_id == r.id) ask.sent_id = 0;
    waiting_.erase(r.id);
    return false;
  }
  return true;
}

Verdict DetectorLink::judge(const DetectorAnswer& a, const cv::Rect2d& box, DetectionRole want,
                            DetectionRole against) {
  bool contradicted = false;
  for (const Detection& d : a.found) {
    if (cover(box, d.box) < kCoverShare) continue;
    if (d.role == want) return Verdict::kConfirmed;
    if (d.role == against && against != DetectionRole::kOther) contradicted = true;
  }
  if (contradicted) return Verdict::kContradicted;
  if (a.scale > 0 && std::max(box.width, box.height) * a.scale < kMinVisibleInputPx)
    return Verdict::kTooSmall;
  return Verdict::kUnseen;
}

Verdict DetectorLink::confirm(const std::string& key, const cv::Rect2d& box, DetectionRole want,
                              DetectionRole against, double t, Turn turn) {
  auto [it, fresh] = asks_.try_emplace(key);
  Ask& ask = it->second;
  ask.last_used = t;
  if (fresh) {
    ask.box = box;
    ask.t_asked = t;
  }
  const bool stale = ask.answer && t - ask.answer->t >= policy_.recheck_s;
  if (ask.sent_id == 0 && (!ask.answer || stale)) {
    if (stale && !fresh) {
      // A new question about the same candidate: its timeout runs from now.
      ask.t_asked = t;
    }
    ask.box = box;
    send(key, ask, context_region(box, source_, policy_.context_share), t, turn);
  }
  if (ask.answer) {
    const Verdict v = judge(*ask.answer, ask.box, want, against);
    spdlog::debug("detector verdict {} t={:.1f} box=[{:.0f},{:.0f},{:.0f},{:.0f}]: {}", key, t,
                  ask.box.x, ask.box.y, ask.box.width, ask.box.height, static_cast<int>(v));
    return v;
  }
  return t - ask.t_asked >= policy_.confirm_timeout_s ? Verdict::kTimedOut : Verdict::kPending;
}

Verdict DetectorLink::confirm_lying(const std::string& key, const cv::Rect2d& box,
                                    DetectionRole want, DetectionRole against, double t) {
  const Verdict a = confirm(key + "/turned-left", box, want, against, t, Turn::kCounterClockwise);
  const Verdict b = confirm(key + "/turned-right", box, want, against, t, Turn::kClockwise);
  const auto either = [&](Verdict v) { return a == v || b == v; };
  for (Verdict v : {Verdict::kConfirmed, Verdict::kPending, Verdict::kContradicted,
                    Verdict::kTimedOut, Verdict::kUnseen}) {
    if (either(v)) return v;
  }
  return Verdict::kTooSmall;
}

std::optional<std::uint64_t> DetectorLink::scan(const cv::Rect2d& region, double t,
                                                DetectorPurpose purpose) {
  DetectorRequest r{next_id_++, region, t, purpose};
  if (!submit_ || !submit_(r)) return std::nullopt;
  return r.id;
}

}  // namespace vigie::rules
