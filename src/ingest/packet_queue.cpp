#include "ingest/packet_queue.hpp"

#include <algorithm>

namespace vigie::ingest {
namespace {

bool is_key_packet(const QueueItem& item) {
  return item.kind == QueueItem::Kind::kPacket && (item.packet->flags & AV_PKT_FLAG_KEY) != 0;
}

}  // namespace

PacketQueue::PacketQueue(std::size_t capacity, OverflowPolicy policy)
    : capacity_(std::max<std::size_t>(capacity, 2)), policy_(policy) {}

std::uint64_t PacketQueue::drop_to_keyframe_locked() {
  // Resume at the newest queued keyframe if there is one past the head, so that the
  // latency drops as far as possible; otherwise drop everything and wait for the next one.
  std::size_t cut = items_.size();
  for (std::size_t i = items_.size(); i-- > 0;) {
    if (is_key_packet(items_[i])) {
      cut = i;
      break;
    }
  }
  std::size_t first_packet = 0;
  while (first_packet < items_.size() && items_[first_packet].kind != QueueItem::Kind::kPacket) {
    ++first_packet;
  }
  if (cut != items_.size() && cut <= first_packet) cut = items_.size();
  std::deque<QueueItem> kept;
  std::uint64_t dropped = 0;
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (i == cut) kept.push_back({QueueItem::Kind::kFlush, nullptr, nullptr, {}});
    if (i < cut && items_[i].kind == QueueItem::Kind::kPacket) {
      ++dropped;
      continue;
    }
    kept.push_back(std::move(items_[i]));
  }
  if (cut == items_.size()) {
    kept.push_back({QueueItem::Kind::kFlush, nullptr, nullptr, {}});
    waiting_for_key_ = true;
  }
  items_ = std::move(kept);
  packets_ -= dropped;
  return dropped;
}

PacketQueue::PushResult PacketQueue::push_packet(av::PacketPtr packet) {
  PushResult result;
  std::unique_lock lock(mutex_);
  if (policy_ == OverflowPolicy::kBlock) {
    not_full_.wait(lock, [&] { return cancelled_ || packets_ < capacity_; });
    if (cancelled_) {
      result.cancelled = true;
      return result;
    }
  } else if (packets_ >= capacity_) {
    result.dropped += drop_to_keyframe_locked();
  }
  const bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
  if (waiting_for_key_ && !key) {
    ++result.dropped;
    return result;
  }
  waiting_for_key_ = false;
  result.became_ready = items_.empty();
  items_.push_back({QueueItem::Kind::kPacket, std::move(packet), nullptr, {}});
  ++packets_;
  return result;
}

bool PacketQueue::push_marker(QueueItem item) {
  std::lock_guard lock(mutex_);
  const bool became_ready = items_.empty();
  if (item.kind == QueueItem::Kind::kSession) waiting_for_key_ = false;
  items_.push_back(std::move(item));
  return became_ready;
}

std::optional<QueueItem> PacketQueue::pop() {
  std::lock_guard lock(mutex_);
  if (items_.empty()) return std::nullopt;
  QueueItem item = std::move(items_.front());
  items_.pop_front();
  if (item.kind == QueueItem::Kind::kPacket) {
    --packets_;
    not_full_.notify_one();
  }
  return item;
}

void PacketQueue::cancel() {
  std::lock_guard lock(mutex_);
  cancelled_ = true;
  not_full_.notify_all();
}

std::size_t PacketQueue::packets() const {
  std::lock_guard lock(mutex_);
  return packets_;
}

}  // namespace vigie::ingest
