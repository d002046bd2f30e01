#pragma once
// Where persons may have been in the last seconds of a camera, so that evidence cut later
// can hide them. Boxes are in source pixels: the analysis thread scales its own
// (analysis-sized) boxes up before adding them.

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include <opencv2/core/types.hpp>

namespace vigie::evidence {

/// What to hide at one stream time (the clock of Frame::pts_s), in source pixels.
struct TimedBoxes {
  double pts_s = 0.0;
  /// Every region that may hold a person (perceive::PrivacyMap): all hidden.
  std::vector<cv::Rect2d> boxes;
  /// What is believed to be a person (a walker's track, a detector's person). Inside an
  /// alert's own subject (a flame, a bag), which stays readable, only these are hidden.
  std::vector<cv::Rect2d> persons;
};

/// A short history of person boxes for one camera. Thread-safe: the analysis thread adds,
/// whoever builds an evidence request reads.
class PersonHistory {
 public:
  /// Keeps the last `keep_s` seconds (stream time) of entries.
  explicit PersonHistory(double keep_s = 30.0) : keep_s_(keep_s) {}

  /// Records what to hide in one analysed frame. Times must not go backwards, except after a
  /// reconnection: an earlier time than the newest one starts the history over.
  void add(TimedBoxes entry);
  /// Entries with from_s <= pts_s <= to_s, oldest first, plus the nearest entry on each side
  /// so that the ends of the window have neighbours to fall back on.
  [[nodiscard]] std::vector<TimedBoxes> between(double from_s, double to_s) const;
  /// Forgets everything (e.g. on a new connection, whose clock starts again at zero).
  void clear();
  [[nodiscard]] std::size_t size() const;

 private:
  double keep_s_;
  mutable std::mutex mutex_;
  std::deque<TimedBoxes> entries_;
};

/// What to hide in a frame at `pts_s` of a `frame`-sized image, from entries sorted by
/// time: the entries just before and just after it, and every entry within `tolerance_s`,
/// joined (a person may have moved between two analysed frames: hiding both places is the
/// safe side). When no entry lies within `max_gap_s`, or the frame is not between two
/// entries (before the first analysed frame or after the last: someone may have come into
/// view whom no analysed frame saw), all of it is hidden.
TimedBoxes boxes_at(const std::vector<TimedBoxes>& history, double pts_s, cv::Size frame,
                    double tolerance_s = 0.5, double max_gap_s = 2.0);

}  // namespace vigie::evidence
