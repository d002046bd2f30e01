#include "ingest/sampler.hpp"

namespace vigie::ingest {

bool FrameSampler::take(double pts_s) {
  if (period_s_ <= 0.0) return true;
  // Half a millisecond absorbs rounding of timestamps to the stream's time base.
  constexpr double kSlack = 0.0005;
  if (!started_ || pts_s < due_s_ - period_s_ - kSlack) {
    started_ = true;
    due_s_ = pts_s + period_s_;
    return true;
  }
  if (pts_s + kSlack < due_s_) return false;
  due_s_ += period_s_;
  // A gap longer than one period: realign on this frame instead of bursting to catch up.
  if (due_s_ <= pts_s) due_s_ = pts_s + period_s_;
  return true;
}

}  // namespace vigie::ingest
