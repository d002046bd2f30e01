#include "ingest/packet_queue.hpp"

#include <gtest/gtest.h>

#include <thread>

namespace vigie::ingest {
namespace {

av::PacketPtr packet(std::int64_t pts, bool key) {
  av::PacketPtr p = av::make_packet();
  p->pts = p->dts = pts;
  if (key) p->flags |= AV_PKT_FLAG_KEY;
  return p;
}

TEST(PacketQueueTest, WakesOnlyWhenGoingFromEmpty) {
  PacketQueue q(10, OverflowPolicy::kDropToKeyframe);
  EXPECT_TRUE(q.push_packet(packet(0, true)).became_ready);
  EXPECT_FALSE(q.push_packet(packet(1, false)).became_ready);
  ASSERT_TRUE(q.pop());
  ASSERT_TRUE(q.pop());
  EXPECT_FALSE(q.pop());
  EXPECT_TRUE(q.push_packet(packet(2, false)).became_ready);
}

TEST(PacketQueueTest, OverflowDropsToTheNewestKeyframe) {
  PacketQueue q(10, OverflowPolicy::kDropToKeyframe);
  // GOP of 5: keys at 0 and 5.
  for (int i = 0; i < 10; ++i) EXPECT_EQ(q.push_packet(packet(i, i % 5 == 0)).dropped, 0u);
  const PacketQueue::PushResult r = q.push_packet(packet(10, true));
  EXPECT_EQ(r.dropped, 5u);
  EXPECT_EQ(q.packets(), 6u);
  std::optional<QueueItem> first = q.pop();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, QueueItem::Kind::kFlush);
  std::optional<QueueItem> next = q.pop();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->packet->pts, 5);
  EXPECT_TRUE(next->packet->flags & AV_PKT_FLAG_KEY);
}

TEST(PacketQueueTest, OverflowWithoutKeyframeWaitsForTheNextOne) {
  PacketQueue q(4, OverflowPolicy::kDropToKeyframe);
  for (int i = 0; i < 4; ++i) (void)q.push_packet(packet(i, i == 0));
  // Full, and the only keyframe is at the head: everything goes, then deltas are dropped.
  EXPECT_EQ(q.push_packet(packet(4, false)).dropped, 5u);
  EXPECT_EQ(q.push_packet(packet(5, false)).dropped, 1u);
  EXPECT_EQ(q.push_packet(packet(6, true)).dropped, 0u);
  std::optional<QueueItem> flush = q.pop();
  ASSERT_TRUE(flush);
  EXPECT_EQ(flush->kind, QueueItem::Kind::kFlush);
  std::optional<QueueItem> key = q.pop();
  ASSERT_TRUE(key);
  EXPECT_EQ(key->packet->pts, 6);
}

TEST(PacketQueueTest, MarkersAreKeptWhenDropping) {
  PacketQueue q(3, OverflowPolicy::kDropToKeyframe);
  QueueItem session;
  session.kind = QueueItem::Kind::kSession;
  (void)q.push_marker(std::move(session));
  for (int i = 0; i < 3; ++i) (void)q.push_packet(packet(i, false));
  (void)q.push_packet(packet(3, false));
  std::optional<QueueItem> first = q.pop();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->kind, QueueItem::Kind::kSession);
}

TEST(PacketQueueTest, BlockingPolicyWaitsAndLosesNothing) {
  PacketQueue q(3, OverflowPolicy::kBlock);
  std::thread producer([&] {
    for (int i = 0; i < 50; ++i) EXPECT_EQ(q.push_packet(packet(i, i == 0)).dropped, 0u);
  });
  int received = 0;
  std::int64_t expected = 0;
  while (received < 50) {
    std::optional<QueueItem> item = q.pop();
    if (!item) {
      std::this_thread::yield();
      continue;
    }
    EXPECT_EQ(item->packet->pts, expected++);
    ++received;
  }
  producer.join();
}

TEST(PacketQueueTest, CancelReleasesABlockedProducer) {
  PacketQueue q(2, OverflowPolicy::kBlock);
  (void)q.push_packet(packet(0, true));
  (void)q.push_packet(packet(1, false));
  std::thread producer([&] { EXPECT_TRUE(q.push_packet(packet(2, false)).cancelled); });
  q.cancel();
  producer.join();
}

}  // namespace
}  // namespace vigie::ingest
