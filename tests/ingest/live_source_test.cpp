// Network sources against real servers on 127.0.0.1: an RTSP server (GStreamer, in a child
// process that the tests kill and restart) and an MJPEG HTTP server (a thread).

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "ingest_test_support.hpp"

namespace vigie::ingest {
namespace {

using namespace std::chrono_literals;
using testing::Driver;
using testing::RtspServer;
using Steady = std::chrono::steady_clock;

/// A 60 s clip, 640x360 at 25 fps with a keyframe every second: long enough for every test.
std::string rtsp_clip() {
  return testing::make_clip(testing::clip_cache_dir() + "/rtsp640x360_60s.mp4", 640, 360, 25, 60,
                            25);
}

SourceOptions live_options(const std::string& camera, const std::string& url) {
  SourceOptions o;
  o.camera = camera;
  o.url = url;
  o.analysis_fps = 5;
  o.analysis_width = 320;
  o.connect_timeout_s = 5;
  o.stall_after_s = 2;
  o.backoff_min_s = 0.3;
  o.backoff_max_s = 2;
  o.backoff_seed = 11;
  return o;
}

bool is(const CameraHealth& h, CameraState s) {
  return h.state == s;
}

/// Records every distinct state a source goes through, polling every 2 ms.
class StateRecorder {
 public:
  explicit StateRecorder(const Driver& d)
      : thread_([this, &d] {
          while (!stop_) {
            const CameraHealth h = d.health();
            {
              std::lock_guard lock(mutex_);
              if (states_.empty() || states_.back() != h.state) {
                states_.push_back(h.state);
                reasons_.push_back(h.reason);
              }
            }
            std::this_thread::sleep_for(2ms);
          }
        }) {}
  ~StateRecorder() {
    stop_ = true;
    thread_.join();
  }
  /// True when `sequence` appears in order (not necessarily adjacent) after `from` entries.
  bool saw_in_order(const std::vector<CameraState>& sequence) const {
    std::lock_guard lock(mutex_);
    std::size_t next = 0;
    for (const CameraState s : states_) {
      if (next < sequence.size() && s == sequence[next]) ++next;
    }
    return next == sequence.size();
  }
  /// The reason that came with the first sample of `state`; empty when never seen.
  std::string first_reason(CameraState state) const {
    std::lock_guard lock(mutex_);
    for (std::size_t i = 0; i < states_.size(); ++i) {
      if (states_[i] == state) return reasons_[i];
    }
    return {};
  }
  std::string history() const {
    std::lock_guard lock(mutex_);
    std::string out;
    for (const CameraState s : states_) out += std::string(to_string(s)) + " ";
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<CameraState> states_;
  std::vector<std::string> reasons_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

class LiveSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clip_ = rtsp_clip();
    ASSERT_FALSE(clip_.empty());
  }
  std::string clip_;
};

TEST_F(LiveSourceTest, RtspArrivesAtTheAnalysisFrameRate) {
  RtspServer server(clip_, testing::free_port());
  ASSERT_TRUE(server.start());
  Driver cam(live_options("cam0", server.url()));
  cam.start();
  ASSERT_TRUE(cam.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s))
      << cam.health().reason;
  EXPECT_NE(cam.health().reason.find("640x360 h264"), std::string::npos) << cam.health().reason;
  ASSERT_TRUE(testing::poll_until([&] { return cam.frame_count() >= 3; }, 30s));
  const std::size_t before = cam.frame_count();
  const auto t0 = Steady::now();
  ASSERT_FALSE(testing::poll_until([] { return false; }, 4s));  // observe for 4 s
  const double seconds = std::chrono::duration<double>(Steady::now() - t0).count();
  const double fps = static_cast<double>(cam.frame_count() - before) / seconds;
  EXPECT_NEAR(fps, 5.0, 1.0);
  const auto frames = cam.frames();
  EXPECT_EQ(frames.back().width, 320);
  EXPECT_EQ(frames.back().height, 180);
  EXPECT_EQ(frames.back().source_width, 640);
  const CameraHealth h = cam.health();
  EXPECT_EQ(h.state, CameraState::kLive);
  EXPECT_EQ(h.reconnects, 0u);
  EXPECT_EQ(h.decode_errors, 0u);
  EXPECT_EQ(h.frames_dropped, 0u);
  EXPECT_GT(h.packets_read, 0u);
  // Nearly all 25 fps decoded; the first frames may wait for the first keyframe.
  EXPECT_GE(h.frames_decoded, h.frames_analysed * 4);
}

TEST_F(LiveSourceTest, ReconnectsAfterServerRestartWhileAnotherCameraKeepsItsRate) {
  RtspServer server_a(clip_, testing::free_port());
  RtspServer server_b(clip_, testing::free_port());
  ASSERT_TRUE(server_a.start());
  ASSERT_TRUE(server_b.start());
  // A first delay of at least 2 s before reconnecting: the stalled state lasts that long, so
  // the recorder's thread sees it even on a loaded machine.
  SourceOptions a_options = live_options("a", server_a.url());
  a_options.backoff_min_s = 2;
  a_options.backoff_max_s = 4;
  Driver a(a_options);
  Driver b(live_options("b", server_b.url()));
  a.start();
  b.start();
  ASSERT_TRUE(a.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s));
  ASSERT_TRUE(b.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s));
  StateRecorder states(a);
  // The recorder samples on its own thread: nothing changes until it has seen a live.
  ASSERT_TRUE(testing::poll_until([&] { return states.saw_in_order({CameraState::kLive}); }, 30s))
      << states.history();
  const auto watch_from = Steady::now();

  server_a.kill();
  ASSERT_TRUE(testing::poll_until(
      [&] {
        return states.saw_in_order({CameraState::kLive, CameraState::kStalled});
      },
      30s))
      << a.health().reason << " / " << states.history();
  EXPECT_NE(states.first_reason(CameraState::kStalled).find("stream broke"), std::string::npos)
      << states.first_reason(CameraState::kStalled);
  ASSERT_TRUE(server_a.start());
  // Live again after the stall (the connecting states between attempts last milliseconds and
  // are counted by `reconnects` rather than sampled).
  ASSERT_TRUE(testing::poll_until(
      [&] {
        return states.saw_in_order({CameraState::kLive, CameraState::kStalled, CameraState::kLive});
      },
      30s))
      << a.health().reason << " / " << states.history();
  EXPECT_GE(a.health().reconnects, 1u);
  EXPECT_EQ(a.health().decode_errors, 0u);  // the new connection starts at a keyframe
  const std::size_t a_before = a.frame_count();
  ASSERT_TRUE(testing::poll_until([&] { return a.frame_count() >= a_before + 5; }, 30s));

  // Camera b never noticed: ~5 fps over the whole episode, and no second without frames.
  const auto watch_to = Steady::now();
  const double seconds = std::chrono::duration<double>(watch_to - watch_from).count();
  const double fps_b = static_cast<double>(b.frames_between(watch_from, watch_to)) / seconds;
  EXPECT_NEAR(fps_b, 5.0, 1.0) << "over " << seconds << " s";
  for (auto t = watch_from; t + 1s <= watch_to; t += 1s) {
    EXPECT_GE(b.frames_between(t, t + 1s), 3u);
  }
  EXPECT_EQ(b.health().state, CameraState::kLive);
  EXPECT_EQ(b.health().reconnects, 0u);
}

TEST_F(LiveSourceTest, BadInputsFailWithReasonsAndDoNotDisturbAHealthyCamera) {
  RtspServer server(clip_, testing::free_port());
  ASSERT_TRUE(server.start());
  Driver good(live_options("good", server.url()));
  good.start();
  ASSERT_TRUE(good.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s));
  const auto watch_from = Steady::now();

  testing::TempDir dir;
  const std::string truncated = dir.file("truncated.mp4");
  std::filesystem::copy_file(clip_, truncated);
  std::filesystem::resize_file(truncated, std::filesystem::file_size(clip_) / 3);

  const int closed_port = testing::free_port();
  Driver refused(live_options(
      "refused", "rtsp://admin:s3cretpw@127.0.0.1:" + std::to_string(closed_port) + "/cam0"));
  Driver wrong_path(live_options("wrong_path", server.url("/nope")));
  SourceOptions trunc_opts = live_options("truncated", truncated);
  Driver trunc(trunc_opts);
  testing::MjpegServer mjpeg(10.0, 5, 20);
  Driver mj(live_options("mjpeg", mjpeg.url()));
  for (Driver* d : {&refused, &wrong_path, &trunc, &mj}) d->start();

  ASSERT_TRUE(refused.wait_until([](auto& h) { return h.reconnects >= 2; }, 30s));
  {
    // Between attempts the state is failed; the attempts themselves say connecting.
    ASSERT_TRUE(refused.wait_until([](auto& h) { return is(h, CameraState::kFailed); }, 30s));
    const CameraHealth h = refused.health();
    EXPECT_NE(h.reason.find("connection refused"), std::string::npos) << h.reason;
    EXPECT_NE(h.reason.find("retrying in"), std::string::npos) << h.reason;
    EXPECT_EQ(h.reason.find("s3cretpw"), std::string::npos) << h.reason;
    EXPECT_NE(h.reason.find("rtsp://***@127.0.0.1"), std::string::npos) << h.reason;
  }
  ASSERT_TRUE(wrong_path.wait_until([](auto& h) { return is(h, CameraState::kFailed); }, 30s))
      << wrong_path.health().reason;
  EXPECT_NE(wrong_path.health().reason.find("404 not found"), std::string::npos)
      << wrong_path.health().reason;
  ASSERT_TRUE(trunc.wait_until([](auto& h) { return is(h, CameraState::kFailed); }, 30s));
  EXPECT_NE(trunc.health().reason.find("invalid data"), std::string::npos) << trunc.health().reason;

  // MJPEG with a corrupt frame every 2 s: counted, and the camera stays live.
  ASSERT_TRUE(mj.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s))
      << mj.health().reason;
  ASSERT_TRUE(mj.wait_until([](auto& h) { return h.decode_errors >= 1; }, 30s));
  EXPECT_EQ(mj.health().state, CameraState::kLive);
  EXPECT_NE(mj.health().reason.find("mjpeg"), std::string::npos) << mj.health().reason;
  const std::size_t mj_before = mj.frame_count();
  ASSERT_TRUE(testing::poll_until([&] { return mj.frame_count() >= mj_before + 5; }, 30s));
  EXPECT_EQ(mj.frames().back().source_width, 320);
  EXPECT_EQ(mj.health().state, CameraState::kLive);
  EXPECT_EQ(mj.health().reconnects, 0u);

  const auto watch_to = Steady::now();
  const double seconds = std::chrono::duration<double>(watch_to - watch_from).count();
  const double fps = static_cast<double>(good.frames_between(watch_from, watch_to)) / seconds;
  EXPECT_NEAR(fps, 5.0, 1.0) << "over " << seconds << " s";
  EXPECT_EQ(good.health().state, CameraState::kLive);
  EXPECT_EQ(good.health().decode_errors, 0u);
}

TEST(StopTest, StopReturnsQuicklyWhileConnectingToASilentPeer) {
  for (const char* scheme : {"rtsp", "http"}) {
    testing::SilentPeer peer;
    SourceOptions o = live_options(
        "silent", std::string(scheme) + "://127.0.0.1:" + std::to_string(peer.port()) + "/cam0");
    o.connect_timeout_s = 30;
    o.read_timeout_s = 30;
    Driver d(o);
    d.start();
    ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kConnecting); }, 30s));
    // Give the open time to block in the handshake (a deadline, not a timing assumption:
    // the peer never answers, so the state cannot change).
    EXPECT_FALSE(d.wait_until([](auto& h) { return !is(h, CameraState::kConnecting); }, 300ms));
    const auto took = d.stop();
    EXPECT_LT(took, 1000ms) << scheme;
    EXPECT_EQ(d.health().state, CameraState::kStopped);
    EXPECT_EQ(d.health().reason, "stopped");
  }
}

TEST(StopTest, StopReturnsQuicklyDuringBackoff) {
  SourceOptions o =
      live_options("backoff", "rtsp://127.0.0.1:" + std::to_string(testing::free_port()) + "/cam0");
  o.backoff_min_s = 30;
  o.backoff_max_s = 60;
  Driver d(o);
  d.start();
  ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kFailed); }, 30s));
  EXPECT_LT(d.stop(), 1000ms);
}

}  // namespace
}  // namespace vigie::ingest

namespace vigie::ingest {
namespace {

TEST_F(LiveSourceTest, RtspOverUdpGoesLive) {
  RtspServer server(clip_, testing::free_port());
  ASSERT_TRUE(server.start());
  SourceOptions o = live_options("udp", server.url());
  o.rtsp_transport = Transport::kUdp;
  Driver cam(o);
  cam.start();
  ASSERT_TRUE(cam.wait_until([](auto& h) { return is(h, CameraState::kLive); }, 30s))
      << cam.health().reason;
  ASSERT_TRUE(testing::poll_until([&] { return cam.frame_count() >= 5; }, 30s));
}

TEST_F(LiveSourceTest, SlowConsumerDropsToAKeyframeAndReaderNeverBlocks) {
  RtspServer server(clip_, testing::free_port());
  ASSERT_TRUE(server.start());
  SourceOptions o = live_options("slow", server.url());
  o.queue_packets = 30;  // a bit more than one GOP (25)
  auto source = make_source(o, SystemClock::instance());
  std::atomic<int> wakeups{0};
  source->start([&] { ++wakeups; });
  // Nobody calls step(): the reader keeps reading and drops what does not fit.
  ASSERT_TRUE(testing::poll_until([&] { return source->health().frames_dropped >= 25; }, 30s))
      << source->health().reason;
  const std::uint64_t read_before = source->health().packets_read;
  ASSERT_TRUE(
      testing::poll_until([&] { return source->health().packets_read >= read_before + 25; }, 30s));
  // Now catch up: decoding resumes at a keyframe, so nothing is corrupt.
  Frame frame;
  int frames = 0;
  ASSERT_TRUE(testing::poll_until(
      [&] {
        while (true) {
          const StepResult r = source->step(frame);
          if (r == StepResult::kFrame) ++frames;
          if (r == StepResult::kIdle || r == StepResult::kEnded) break;
        }
        return frames >= 5;
      },
      30s));
  const CameraHealth h = source->health();
  EXPECT_EQ(h.decode_errors, 0u);
  EXPECT_EQ(h.state, CameraState::kLive);
  EXPECT_GE(wakeups.load(), 1);
  source->stop();
}

}  // namespace
}  // namespace vigie::ingest
