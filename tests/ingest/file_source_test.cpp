// Files through the real Source: decoding, sampling, pacing, looping, and broken files.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <opencv2/core.hpp>

#include "ingest_test_support.hpp"

namespace vigie::ingest {
namespace {

using namespace std::chrono_literals;
using testing::Driver;

std::string clip(const std::string& name, int w, int h, int fps, double seconds, int gop,
                 const std::string& extra = "") {
  return testing::make_clip(testing::clip_cache_dir() + "/" + name, w, h, fps, seconds, gop, extra);
}

SourceOptions file_options(const std::string& path) {
  SourceOptions o;
  o.camera = "file";
  o.url = path;
  o.pacing = Pacing::kAsFastAsPossible;
  o.analysis_width = 160;
  return o;
}

/// A 2 s clip played in a loop, every frame analysed: a source that stays live.
SourceOptions looping_options() {
  SourceOptions o = file_options(clip("f320_2s.mp4", 320, 240, 25, 2, 25));
  o.loop = true;
  o.analysis_fps = 0;
  return o;
}

bool is(const CameraHealth& h, CameraState s) {
  return h.state == s;
}

TEST(FileSourceTest, DecodesEveryFrameAsFastAsPossibleThenEnds) {
  const std::string path = clip("f320_10s.mp4", 320, 240, 25, 10, 25);
  ASSERT_FALSE(path.empty());
  SourceOptions o = file_options(path);
  o.analysis_fps = 0;   // every frame
  o.queue_packets = 8;  // the reader must wait, not drop
  Driver d(o);
  d.start();
  ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kEnded); }, 30s))
      << d.health().reason;
  const CameraHealth h = d.health();
  EXPECT_NE(h.reason.find("end of file"), std::string::npos) << h.reason;
  EXPECT_EQ(h.frames_decoded, 250u);
  EXPECT_EQ(h.frames_analysed, 250u);
  EXPECT_EQ(h.frames_dropped, 0u);
  EXPECT_EQ(h.packets_read, 250u);
  EXPECT_EQ(h.decode_errors, 0u);
  EXPECT_GT(h.last_frame_unix_ms, 0);
  const auto frames = d.frames();
  ASSERT_EQ(frames.size(), 250u);
  for (std::size_t i = 0; i < frames.size(); ++i) {
    EXPECT_EQ(frames[i].index, static_cast<std::int64_t>(i));
    EXPECT_NEAR(frames[i].pts_s, static_cast<double>(i) / 25.0, 1e-3);
  }
  EXPECT_EQ(frames[0].width, 160);
  EXPECT_EQ(frames[0].height, 120);
  EXPECT_EQ(frames[0].source_width, 320);
  EXPECT_EQ(frames[0].source_height, 240);
  EXPECT_TRUE(testing::poll_until([&] { return d.ended(); }, 30s));
}

TEST(FileSourceTest, SamplesByTimestampAndKeepsAspectRatio) {
  const std::string path = clip("f640x360_10s.mp4", 640, 360, 25, 10, 25);
  SourceOptions o = file_options(path);
  o.analysis_fps = 5;
  o.analysis_width = 320;
  Driver d(o);
  d.start();
  ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kEnded); }, 30s));
  const auto frames = d.frames();
  ASSERT_EQ(frames.size(), 50u);
  for (std::size_t i = 1; i < frames.size(); ++i) {
    EXPECT_NEAR(frames[i].pts_s - frames[i - 1].pts_s, 0.2, 1e-3);
  }
  EXPECT_EQ(frames[0].width, 320);
  EXPECT_EQ(frames[0].height, 180);
  EXPECT_EQ(d.health().frames_decoded, 250u);
  EXPECT_EQ(d.health().frames_analysed, 50u);
}

/// The first analysed frame of `path`, read through the real Source.
Frame first_frame(const std::string& path, int analysis_width) {
  SourceOptions o = file_options(path);
  o.analysis_width = analysis_width;
  auto source = make_source(o, SystemClock::instance());
  source->start([] {});
  Frame f;
  testing::poll_until([&] { return source->step(f) == StepResult::kFrame; }, 30s);
  source->stop();
  return f;
}

double mean_difference(const cv::Mat& a, const cv::Mat& b) {
  cv::Mat d;
  cv::absdiff(a, b, d);
  const cv::Scalar m = cv::mean(d);
  return (m[0] + m[1] + m[2]) / 3.0;
}

TEST(FileSourceTest, KeepsTheSourcePictureForRegionsAtFullResolution) {
  const std::string path = clip("f640x360_10s.mp4", 640, 360, 25, 10, 25);
  const Frame f = first_frame(path, 320);
  const Frame full = first_frame(path, 640);  // the same picture, converted whole
  ASSERT_FALSE(f.bgr.empty());
  ASSERT_FALSE(full.bgr.empty());
  ASSERT_NE(f.source, nullptr);
  EXPECT_EQ(f.source->size(), cv::Size(640, 360));
  // A region at odd coordinates, at source size: the same pixels as the whole conversion.
  const cv::Rect area(101, 57, 120, 75);
  const cv::Mat region = f.source->region(area, area.size());
  ASSERT_EQ(region.size(), area.size());
  EXPECT_LT(mean_difference(region, full.bgr(area)), 3.0);
  // The whole picture shrunk to the analysis size: the analysis image.
  EXPECT_LT(mean_difference(f.source->region({0, 0, 640, 360}, f.bgr.size()), f.bgr), 3.0);
  // And not just any picture: a region elsewhere differs.
  EXPECT_GT(mean_difference(region, full.bgr(area + cv::Point(200, 100))), 10.0);
  // Every output size, odd ones included (the scaler writes in blocks past a row's end).
  for (int w = 1; w <= 200; w += 5) {
    for (int h = 1; h <= 180; h += 9) {
      const cv::Mat small = f.source->region({33 + w % 2, 21 + h % 3, w, h}, {w, h});
      ASSERT_EQ(small.size(), cv::Size(w, h));
      ASSERT_TRUE(small.isContinuous());
    }
  }
  // Outside the picture, or empty: nothing.
  EXPECT_TRUE(f.source->region({600, 300, 80, 80}, {80, 80}).empty());
  EXPECT_TRUE(f.source->region({0, 0, 0, 10}, {10, 10}).empty());
}

TEST(FileSourceTest, RealtimePacingPlaysAtStreamSpeed) {
  const std::string path = clip("f320_2s.mp4", 320, 240, 25, 2, 25);
  SourceOptions o = file_options(path);
  o.pacing = Pacing::kRealtime;
  Driver d(o);
  const auto t0 = std::chrono::steady_clock::now();
  d.start();
  ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kEnded); }, 30s));
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_GE(took, 1.8);
  EXPECT_LE(took, 4.0);
  EXPECT_EQ(d.frame_count(), 10u);
}

TEST(FileSourceTest, LoopRestartsWithIncreasingTimestamps) {
  SourceOptions o = looping_options();
  Driver d(o);
  d.start();
  ASSERT_TRUE(testing::poll_until([&] { return d.frame_count() >= 130; }, 60s));
  EXPECT_EQ(d.health().state, CameraState::kLive);
  const auto frames = d.frames();
  for (std::size_t i = 1; i < frames.size(); ++i) {
    ASSERT_GT(frames[i].pts_s, frames[i - 1].pts_s) << "at " << i;
  }
  EXPECT_NEAR(frames[60].pts_s, 60 / 25.0, 1e-3);
}

/// Log lines of the default logger while it lives.
class CapturedLog {
 public:
  CapturedLog() { spdlog::default_logger()->sinks().push_back(sink_); }
  ~CapturedLog() {
    auto& sinks = spdlog::default_logger()->sinks();
    sinks.erase(std::remove(sinks.begin(), sinks.end(), sink_), sinks.end());
  }
  CapturedLog(const CapturedLog&) = delete;
  CapturedLog& operator=(const CapturedLog&) = delete;
  /// Lines containing `text`, at `level`.
  [[nodiscard]] int count(spdlog::level::level_enum level, const std::string& text) const {
    int n = 0;
    for (const auto& m : sink_->last_raw()) {
      const std::string_view payload(m.payload.data(), m.payload.size());
      n += m.level == level && payload.find(text) != std::string_view::npos ? 1 : 0;
    }
    return n;
  }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
};

struct HwCase {
  const char* name;
  HwAccel accel;
  spdlog::level::level_enum level;  // of the fallback line: auto promises nothing
};

class HwFallbackTest : public ::testing::TestWithParam<HwCase> {};

// This machine has no GPU and no /dev/dri: every device fails to open, and the camera must
// decode all the same, saying why it runs in software.
TEST_P(HwFallbackTest, DecodesInSoftwareWhenTheDeviceIsMissingAndSaysWhy) {
  if (std::filesystem::exists("/dev/dri") || std::filesystem::exists("/dev/nvidiactl")) {
    GTEST_SKIP() << "a GPU device is present: the software fallback is not what would run";
  }
  SourceOptions o = looping_options();  // live long enough to read its live reason
  o.camera = "hwcam";
  o.hwaccel = GetParam().accel;
  CapturedLog log;
  Driver d(o);
  d.start();
  ASSERT_TRUE(testing::poll_until([&] { return d.frame_count() >= 60; }, 60s)) << d.health().reason;
  const CameraHealth h = d.health();
  EXPECT_EQ(h.state, CameraState::kLive) << h.reason;
  EXPECT_EQ(h.decode_errors, 0u);
  EXPECT_NE(h.reason.find("receiving 320x240 h264 in software (vaapi: "), std::string::npos)
      << h.reason;
  const auto frames = d.frames();
  EXPECT_EQ(frames.at(0).width, 160);
  EXPECT_EQ(frames.at(0).source_width, 320);
  d.stop();
  // Once per camera, naming the camera and the device's error, however many frames.
  const std::string line = "camera hwcam: hardware decoding (" +
                           std::string(to_string(GetParam().accel)) +
                           ") unavailable, decoding in software: vaapi: ";
  EXPECT_EQ(log.count(GetParam().level, line), 1);
}

INSTANTIATE_TEST_SUITE_P(Devices, HwFallbackTest,
                         ::testing::Values(HwCase{"Vaapi", HwAccel::kVaapi, spdlog::level::warn},
                                           HwCase{"Auto", HwAccel::kAuto, spdlog::level::info}),
                         [](const auto& test) { return std::string(test.param.name); });

TEST(FileSourceTest, SoftwareDecodingIsTheDefaultAndMentionsNoDevice) {
  SourceOptions o = looping_options();
  Driver d(o);
  d.start();
  ASSERT_TRUE(testing::poll_until([&] { return d.frame_count() >= 10; }, 60s));
  EXPECT_EQ(d.health().reason, "receiving 320x240 h264");
}

struct BadFile {
  const char* name;
  const char* reason;
};

class BrokenFileTest : public ::testing::TestWithParam<BadFile> {};

TEST_P(BrokenFileTest, FailsPermanentlyWithAReason) {
  testing::TempDir dir;
  const std::string good = clip("f320_10s.mp4", 320, 240, 25, 10, 25);
  const std::string name = GetParam().name;
  std::string path = dir.file(name);
  if (name == "truncated.mp4") {
    // The index (moov) is written last by default: cutting the file loses it.
    const auto size = std::filesystem::file_size(good);
    std::filesystem::copy_file(good, path);
    std::filesystem::resize_file(path, size / 2);
  } else if (name == "random.mp4") {
    std::ofstream out(path, std::ios::binary);
    std::mt19937 rng(5);
    for (int i = 0; i < 200000; ++i) out.put(static_cast<char>(rng()));
  } else if (name == "audio_only.m4a") {
    ASSERT_EQ(testing::run_command("ffmpeg -nostdin -loglevel error -y -f lavfi -i "
                                   "sine=frequency=440:duration=1 -c:a aac '" +
                                   path + "'"),
              0);
  }  // missing.mp4: not created
  SourceOptions o = file_options(path);
  Driver d(o);
  d.start();
  ASSERT_TRUE(d.wait_until([](auto& h) { return is(h, CameraState::kFailed); }, 30s))
      << d.health().reason;
  const CameraHealth h = d.health();
  EXPECT_NE(h.reason.find(GetParam().reason), std::string::npos) << h.reason;
  EXPECT_EQ(h.frames_decoded, 0u);
  EXPECT_TRUE(testing::poll_until([&] { return d.ended(); }, 30s));
  EXPECT_EQ(d.health().state, CameraState::kFailed);  // files are not retried
  EXPECT_EQ(d.health().reconnects, 0u);
}

INSTANTIATE_TEST_SUITE_P(Files, BrokenFileTest,
                         ::testing::Values(BadFile{"missing.mp4", "no such file"},
                                           BadFile{"truncated.mp4", "invalid data"},
                                           BadFile{"random.mp4", "invalid data"},
                                           BadFile{"audio_only.m4a", "no video stream"}),
                         [](const auto& param_info) {
                           std::string n = param_info.param.name;
                           return n.substr(0, n.find('.'));
                         });

TEST(FileSourceTest, StopWhileTheReaderWaitsOnAFullQueue) {
  const std::string path = clip("f320_10s.mp4", 320, 240, 25, 10, 25);
  SourceOptions o = file_options(path);
  o.queue_packets = 4;
  auto source = make_source(o, SystemClock::instance());
  source->start([] {});  // nobody calls step(): the reader fills the queue and waits
  ASSERT_TRUE(testing::poll_until([&] { return source->health().packets_read >= 4; }, 30s));
  const auto t0 = std::chrono::steady_clock::now();
  source->stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
  EXPECT_EQ(source->health().state, CameraState::kStopped);
  Frame f;
  EXPECT_EQ(source->step(f), StepResult::kEnded);
}

}  // namespace
}  // namespace vigie::ingest
