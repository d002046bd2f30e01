#pragma once
// Chooses which decoded frames are analysed, by presentation time rather than by count,
// so that variable frame rates and dropped packets still give analysis_fps.

namespace vigie::ingest {

/// Keeps one frame per 1/fps seconds of stream time. Frames are taken on a fixed grid
/// (due += period), so jittered timestamps average out to exactly fps; after a gap or a
/// jump backwards the grid restarts at the current frame. fps <= 0 keeps every frame.
class FrameSampler {
 public:
  explicit FrameSampler(double fps) : period_s_(fps > 0.0 ? 1.0 / fps : 0.0) {}

  /// True when the frame at `pts_s` should be analysed.
  bool take(double pts_s);
  /// Forget the grid (new connection).
  void reset() { started_ = false; }

 private:
  double period_s_;
  double due_s_ = 0.0;
  bool started_ = false;
};

}  // namespace vigie::ingest
