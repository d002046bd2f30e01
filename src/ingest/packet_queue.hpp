#pragma once
// The bounded hand-off from a source's I/O thread (producer) to step() (consumer).

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "ingest/libav.hpp"

namespace vigie::ingest {

/// One entry: a packet, or a marker that tells the decoder what changed.
struct QueueItem {
  enum class Kind {
    kPacket,   ///< a compressed video packet
    kSession,  ///< a new connection begins: (re)open the decoder with `stream`
    kFlush,    ///< packets were dropped: flush the decoder before the next keyframe
    kEnd,      ///< the input ended for good; `reason` says why
  };
  Kind kind = Kind::kPacket;
  av::PacketPtr packet;
  std::shared_ptr<const av::StreamInfo> stream;
  std::string reason;
  bool failed = false;  ///< kEnd: the input failed rather than ended
};

/// What happens when the queue holds `capacity` packets and another arrives.
enum class OverflowPolicy {
  kDropToKeyframe,  ///< live: discard old packets, resume at a keyframe; never blocks
  kBlock,           ///< files as fast as possible: the producer waits, nothing is lost
};

/// Thread-safe FIFO. Markers never count towards the capacity and are never dropped.
class PacketQueue {
 public:
  PacketQueue(std::size_t capacity, OverflowPolicy policy);

  struct PushResult {
    bool became_ready = false;  ///< the queue was empty before: wake the consumer
    std::uint64_t dropped = 0;  ///< packets discarded by this push (kDropToKeyframe)
    bool cancelled = false;     ///< cancel() ended a blocking wait; the packet was not queued
  };
  /// Queues a packet, applying the overflow policy.
  PushResult push_packet(av::PacketPtr packet);
  /// Queues a marker; returns true when the queue was empty before.
  bool push_marker(QueueItem item);
  /// Oldest entry, or nothing when empty. Never blocks.
  std::optional<QueueItem> pop();
  /// Wakes and fails any blocked push_packet, now and later.
  void cancel();
  /// Packets (not markers) queued.
  [[nodiscard]] std::size_t packets() const;

 private:
  std::uint64_t drop_to_keyframe_locked();

  std::size_t capacity_;
  OverflowPolicy policy_;
  mutable std::mutex mutex_;
  std::condition_variable not_full_;
  std::deque<QueueItem> items_;
  std::size_t packets_ = 0;
  bool waiting_for_key_ = false;
  bool cancelled_ = false;
};

}  // namespace vigie::ingest
