#pragma once
// The compressed packets of a camera's last few seconds, kept for evidence clips: cutting a
// clip is a remux of packets already in memory, at full resolution, with no re-encode.

#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.hpp"
#include "ingest/libav.hpp"

namespace vigie::ingest {

/// Packets between two times, starting at a keyframe, with what is needed to remux them.
struct ClipSnapshot {
  std::shared_ptr<const av::StreamInfo> stream;  ///< null when the snapshot is empty
  std::vector<av::PacketPtr> packets;            ///< decode order, packets[0] is a keyframe
  double from_s = 0.0;  ///< time of the first packet (same clock as Frame::pts_s)
  double to_s = 0.0;    ///< time of the last packet

  [[nodiscard]] bool empty() const { return packets.empty(); }
};

/// Holds at least `seconds` of packets (up to one GOP more), always starting at a keyframe.
/// Thread-safe: the I/O thread pushes, anyone snapshots.
class PacketRing {
 public:
  explicit PacketRing(double seconds) : seconds_(seconds) {}

  /// Starts over for a new connection: timestamps and codec parameters may differ.
  void reset(std::shared_ptr<const av::StreamInfo> stream);
  /// Adds a reference to `packet` (ignored until the first keyframe).
  void push(const AVPacket& packet);

  /// Packets whose time lies in [from_s, to_s], extended back to the keyframe at or before
  /// from_s. Times are seconds since the connection's first packet, like Frame::pts_s.
  [[nodiscard]] ClipSnapshot snapshot(double from_s, double to_s) const;
  /// Everything held.
  [[nodiscard]] ClipSnapshot snapshot_all() const;

  [[nodiscard]] std::size_t size() const;
  /// Time between the oldest and newest packet held, in seconds.
  [[nodiscard]] double span_s() const;

 private:
  struct Entry {
    av::PacketPtr packet;
    double t_s;
    bool key;
  };
  void trim_locked();

  double seconds_;
  mutable std::mutex mutex_;
  std::shared_ptr<const av::StreamInfo> stream_;
  std::deque<Entry> entries_;
};

/// Writes the snapshot as an MP4 file at `path` by remuxing (timestamps start at 0).
Status write_mp4(const ClipSnapshot& clip, const std::string& path);

}  // namespace vigie::ingest
