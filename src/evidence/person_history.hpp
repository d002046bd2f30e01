#pragma once
// Where persons were in the last seconds of a camera, so that evidence cut later can hide
// them. Boxes are in source pixels: the analysis thread scales its own (analysis-sized)
// boxes up before adding them.

#include <cstddef>
#include <deque>
#include <mutex>
#include <vector>

#include <opencv2/core/types.hpp>

namespace vigie::evidence {

/// Person boxes (source pixels) seen at one stream time (the clock of Frame::pts_s).
struct TimedBoxes {
  double pts_s = 0.0;
  std::vector<cv::Rect2d> boxes;
};

/// A short history of person boxes for one camera. Thread-safe: the analysis thread adds,
/// whoever builds an evidence request reads.
class PersonHistory {
 public:
  /// Keeps the last `keep_s` seconds (stream time) of entries.
  explicit PersonHistory(double keep_s = 30.0) : keep_s_(keep_s) {}

  /// Records the boxes of one analysed frame. Times must not go backwards, except after a
  /// reconnection: an earlier time than the newest one starts the history over.
  void add(double pts_s, std::vector<cv::Rect2d> boxes);
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

/// The boxes to hide in a frame at `pts_s`, from entries sorted by time: the nearest entry
/// when one lies within `tolerance_s`, else the union of the entries just before and just
/// after (a person may have moved between them: hiding both places is the safe side).
std::vector<cv::Rect2d> boxes_at(const std::vector<TimedBoxes>& history, double pts_s,
                                 double tolerance_s = 0.5);

}  // namespace vigie::evidence
