#include "evidence/person_history.hpp"

#include <algorithm>
#include <cmath>

namespace vigie::evidence {

void PersonHistory::add(double pts_s, std::vector<cv::Rect2d> boxes) {
  std::lock_guard lock(mutex_);
  // A clock that goes back means a new connection: old boxes belong to another timeline.
  if (!entries_.empty() && pts_s < entries_.back().pts_s) entries_.clear();
  entries_.push_back({pts_s, std::move(boxes)});
  while (!entries_.empty() && entries_.front().pts_s < pts_s - keep_s_) entries_.pop_front();
}

std::vector<TimedBoxes> PersonHistory::between(double from_s, double to_s) const {
  std::lock_guard lock(mutex_);
  std::vector<TimedBoxes> out;
  if (entries_.empty()) return out;
  auto first = std::lower_bound(entries_.begin(), entries_.end(), from_s,
                                [](const TimedBoxes& e, double t) { return e.pts_s < t; });
  auto last = std::upper_bound(entries_.begin(), entries_.end(), to_s,
                               [](double t, const TimedBoxes& e) { return t < e.pts_s; });
  if (first != entries_.begin()) --first;
  if (last != entries_.end()) ++last;
  out.assign(first, last);
  return out;
}

void PersonHistory::clear() {
  std::lock_guard lock(mutex_);
  entries_.clear();
}

std::size_t PersonHistory::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

std::vector<cv::Rect2d> boxes_at(const std::vector<TimedBoxes>& history, double pts_s,
                                 double tolerance_s) {
  if (history.empty()) return {};
  auto after = std::lower_bound(history.begin(), history.end(), pts_s,
                                [](const TimedBoxes& e, double t) { return e.pts_s < t; });
  const TimedBoxes* next = after != history.end() ? &*after : nullptr;
  const TimedBoxes* prev = after != history.begin() ? &*std::prev(after) : nullptr;
  const TimedBoxes* nearest = next;
  if (prev != nullptr && (next == nullptr || pts_s - prev->pts_s <= next->pts_s - pts_s)) {
    nearest = prev;
  }
  if (std::abs(nearest->pts_s - pts_s) <= tolerance_s) return nearest->boxes;
  std::vector<cv::Rect2d> out;
  if (prev != nullptr) out.insert(out.end(), prev->boxes.begin(), prev->boxes.end());
  if (next != nullptr) out.insert(out.end(), next->boxes.begin(), next->boxes.end());
  return out;
}

}  // namespace vigie::evidence
