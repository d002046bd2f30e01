#include "evidence/person_history.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>

namespace vigie::evidence {

void PersonHistory::add(TimedBoxes entry) {
  std::lock_guard lock(mutex_);
  const double pts_s = entry.pts_s;
  // A clock that goes back means a new connection: old boxes belong to another timeline.
  if (!entries_.empty() && pts_s < entries_.back().pts_s) entries_.clear();
  entries_.push_back(std::move(entry));
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

TimedBoxes boxes_at(const std::vector<TimedBoxes>& history, double pts_s, cv::Size frame,
                    double tolerance_s, double max_gap_s) {
  TimedBoxes out;
  out.pts_s = pts_s;
  auto join = [&out](const TimedBoxes& e) {
    out.boxes.insert(out.boxes.end(), e.boxes.begin(), e.boxes.end());
    out.persons.insert(out.persons.end(), e.persons.begin(), e.persons.end());
  };
  auto after = std::lower_bound(history.begin(), history.end(), pts_s,
                                [](const TimedBoxes& e, double t) { return e.pts_s < t; });
  double nearest = std::numeric_limits<double>::infinity();
  if (after != history.end()) nearest = after->pts_s - pts_s;
  if (after != history.begin()) nearest = std::min(nearest, pts_s - std::prev(after)->pts_s);
  // Before the first analysed frame or after the last, someone may have come into view whom
  // no analysed frame saw: only a frame on each side bounds where a person can be.
  const bool bounded = after != history.end() && (after != history.begin() || after->pts_s == pts_s);
  if (!(nearest <= max_gap_s) || !bounded) {
    const cv::Rect2d whole(0, 0, frame.width, frame.height);
    out.boxes = {whole};
    out.persons = {whole};
    return out;
  }
  // The neighbours on each side, then everything else within the tolerance.
  auto first = after;
  if (after != history.begin() && pts_s - std::prev(after)->pts_s <= max_gap_s) --first;
  auto last = after == history.end() ? after : std::next(after);
  while (first != history.begin() && pts_s - std::prev(first)->pts_s <= tolerance_s) --first;
  while (last != history.end() && last->pts_s - pts_s <= tolerance_s) ++last;
  for (auto it = first; it != last; ++it) join(*it);
  return out;
}

}  // namespace vigie::evidence
