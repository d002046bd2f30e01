#include "ingest/packet_ring.hpp"

#include <gtest/gtest.h>

#include "ingest_test_support.hpp"

namespace vigie::ingest {
namespace {

using testing::TempDir;

/// Fills a ring with every video packet of a file, as the I/O thread would.
std::shared_ptr<av::StreamInfo> fill_from_file(const std::string& path, PacketRing& ring,
                                               int* packets_read) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return nullptr;
  av::InputPtr in(raw);
  avformat_find_stream_info(raw, nullptr);
  const int idx = av_find_best_stream(raw, AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  auto info = std::make_shared<av::StreamInfo>();
  info->codecpar = av::copy_codecpar(*raw->streams[idx]->codecpar);
  info->time_base = raw->streams[idx]->time_base;
  av::PacketPtr pkt = av::make_packet();
  *packets_read = 0;
  bool first = true;
  while (av_read_frame(raw, pkt.get()) >= 0) {
    if (pkt->stream_index == idx) {
      if (first) {
        info->first_pts = av::packet_ts(*pkt);
        ring.reset(info);
        first = false;
      }
      ring.push(*pkt);
      ++*packets_read;
    }
    av_packet_unref(pkt.get());
  }
  return info;
}

struct Probe {
  int packets = 0;
  int keyframes_first = 0;
  double duration_s = 0;
  int width = 0;
};

Probe probe(const std::string& path) {
  Probe p;
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, path.c_str(), nullptr, nullptr) < 0) return p;
  av::InputPtr in(raw);
  avformat_find_stream_info(raw, nullptr);
  p.width = raw->streams[0]->codecpar->width;
  p.duration_s = static_cast<double>(raw->duration) / AV_TIME_BASE;
  av::PacketPtr pkt = av::make_packet();
  while (av_read_frame(raw, pkt.get()) >= 0) {
    if (p.packets == 0) p.keyframes_first = (pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0;
    ++p.packets;
    av_packet_unref(pkt.get());
  }
  return p;
}

class PacketRingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    // 25 fps, a keyframe every second.
    clip_ = testing::make_clip(dir_->file("ring.mp4"), 320, 240, 25, 20, 25);
  }
  static void TearDownTestSuite() { delete dir_; }
  static TempDir* dir_;
  static std::string clip_;
};
TempDir* PacketRingTest::dir_ = nullptr;
std::string PacketRingTest::clip_;

TEST_F(PacketRingTest, KeepsAboutTheWindowAndStartsAtAKeyframe) {
  ASSERT_FALSE(clip_.empty());
  PacketRing ring(10.0);
  int read = 0;
  ASSERT_TRUE(fill_from_file(clip_, ring, &read));
  EXPECT_EQ(read, 500);
  EXPECT_GE(ring.span_s(), 10.0 - 0.05);
  EXPECT_LE(ring.span_s(), 11.0 + 0.05);  // at most one GOP more
  const ClipSnapshot all = ring.snapshot_all();
  ASSERT_FALSE(all.empty());
  EXPECT_TRUE(all.packets.front()->flags & AV_PKT_FLAG_KEY);
  EXPECT_EQ(all.packets.size(), ring.size());
}

TEST_F(PacketRingTest, SnapshotExtendsBackToAKeyframe) {
  PacketRing ring(10.0);
  int read = 0;
  ASSERT_TRUE(fill_from_file(clip_, ring, &read));
  // The ring holds ~[9, 19.96]; ask for [12.5, 15.0]: the clip starts at the key at 12.0.
  const ClipSnapshot clip = ring.snapshot(12.5, 15.0);
  ASSERT_FALSE(clip.empty());
  EXPECT_TRUE(clip.packets.front()->flags & AV_PKT_FLAG_KEY);
  EXPECT_NEAR(clip.from_s, 12.0, 0.01);
  EXPECT_NEAR(clip.to_s, 15.0, 0.01);
  EXPECT_EQ(clip.packets.size(), 76u);  // 12.00 .. 15.00 at 25 fps
}

TEST_F(PacketRingTest, IgnoresPacketsBeforeTheFirstKeyframe) {
  PacketRing ring(10.0);
  auto info = std::make_shared<av::StreamInfo>();
  info->time_base = {1, 25};
  ring.reset(info);
  for (int i = 0; i < 5; ++i) {
    av::PacketPtr p = av::make_packet();
    p->pts = p->dts = i;
    if (i == 3) p->flags |= AV_PKT_FLAG_KEY;
    ring.push(*p);
  }
  EXPECT_EQ(ring.size(), 2u);
}

TEST_F(PacketRingTest, RemuxedClipIsReadable) {
  PacketRing ring(10.0);
  int read = 0;
  ASSERT_TRUE(fill_from_file(clip_, ring, &read));
  const ClipSnapshot clip = ring.snapshot(12.5, 15.0);
  const std::string out = dir_->file("evidence.mp4");
  const Status written = write_mp4(clip, out);
  ASSERT_TRUE(written.is_ok()) << written.to_string();
  const Probe p = probe(out);
  EXPECT_EQ(p.packets, 76);
  EXPECT_EQ(p.keyframes_first, 1);
  EXPECT_EQ(p.width, 320);
  EXPECT_NEAR(p.duration_s, 3.04, 0.1);
  // And ffprobe agrees.
  EXPECT_EQ(testing::run_command("ffprobe -v error -count_packets -show_streams '" + out +
                                 "' > /dev/null"),
            0);
}

TEST_F(PacketRingTest, EmptySnapshotIsAnError) {
  PacketRing ring(10.0);
  EXPECT_FALSE(write_mp4(ring.snapshot_all(), dir_->file("none.mp4")).is_ok());
}

}  // namespace
}  // namespace vigie::ingest
