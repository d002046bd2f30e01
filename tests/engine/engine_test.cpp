#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "engine/engine.hpp"
#include "engine/scheduler.hpp"
#include "config/loader.hpp"
#include "ingest/packet_ring.hpp"
#include "support/process.hpp"
#include "synth/scene_cache.hpp"

namespace vigie::engine {
namespace {

using namespace std::chrono_literals;

/// Polls `done` until it holds or 60 s pass: generous, since a loaded machine may take
/// seconds over what an idle one does in one (400 frames analysed, in one test).
template <typename F>
bool eventually(F done) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(2ms);
  }
  return done();
}

/// A task that counts its steps and notices if two workers ever run it at once.
class CountingTask final : public Task {
 public:
  explicit CountingTask(int work) : remaining_(work) {}
  StepOutcome step() override {
    if (running_.exchange(true)) overlapped_ = true;
    std::this_thread::sleep_for(50us);
    ++steps_;
    running_ = false;
    return --remaining_ > 0 ? StepOutcome::kMore : StepOutcome::kDone;
  }
  std::atomic<int> remaining_;
  std::atomic<int> steps_{0};
  std::atomic<bool> running_{false};
  std::atomic<bool> overlapped_{false};
};

TEST(SchedulerTest, ManyTasksFewThreadsNoTaskRunsTwiceAtOnce) {
  // The tasks outlive the scheduler: a worker may still be finishing a step when the last
  // count is seen.
  std::vector<std::unique_ptr<CountingTask>> tasks;
  Scheduler scheduler(2);
  std::vector<Scheduler::TaskId> ids;
  for (int i = 0; i < 200; ++i) {
    tasks.push_back(std::make_unique<CountingTask>(20));
    ids.push_back(scheduler.add(*tasks.back()));
  }
  // Wake every task many times from several threads, as sources do.
  std::vector<std::thread> wakers;
  for (int w = 0; w < 4; ++w) {
    wakers.emplace_back([&] {
      for (int round = 0; round < 10; ++round) {
        for (auto id : ids) scheduler.wake(id);
      }
    });
  }
  for (auto& w : wakers) w.join();
  EXPECT_TRUE(eventually([&] {
    for (const auto& t : tasks) {
      if (t->steps_ < 20) return false;
    }
    return true;
  }));
  EXPECT_EQ(scheduler.worker_count(), 2u);
  for (const auto& t : tasks) {
    EXPECT_FALSE(t->overlapped_);
    EXPECT_EQ(t->steps_, 20) << "a finished task is never run again";
  }
}

class ThrowingTask final : public Task {
 public:
  StepOutcome step() override { throw std::runtime_error("broken camera"); }
};

TEST(SchedulerTest, AThrowingTaskDoesNotStopTheOthers) {
  Scheduler scheduler(1);
  ThrowingTask broken;
  CountingTask healthy(50);
  const auto b = scheduler.add(broken);
  const auto h = scheduler.add(healthy);
  scheduler.wake(b);
  scheduler.wake(h);
  EXPECT_TRUE(eventually([&] { return healthy.steps_ == 50; }));
}

/// A task whose step blocks until released: a hung decoder or analysis.
class BlockingTask final : public Task {
 public:
  StepOutcome step() override {
    entered_ = true;
    while (!released_) std::this_thread::sleep_for(1ms);
    return StepOutcome::kDone;
  }
  std::atomic<bool> entered_{false};
  std::atomic<bool> released_{false};
};

TEST(SchedulerTest, HealthSaysStuckWhenAStepOrAQueuedTaskIsTooOld) {
  Scheduler scheduler(1);
  BlockingTask hung;
  CountingTask waiting(1);
  EXPECT_EQ(scheduler.health(std::chrono::steady_clock::now() + 60s, 10).state,
            SchedulerState::kHealthy)
      << "an idle scheduler is healthy however long it idles";
  scheduler.wake(scheduler.add(hung));
  ASSERT_TRUE(eventually([&] { return hung.entered_.load(); }));
  scheduler.wake(scheduler.add(waiting));
  const auto now = std::chrono::steady_clock::now();
  EXPECT_EQ(scheduler.health(now, 10).state, SchedulerState::kHealthy);
  const SchedulerHealth later = scheduler.health(now + 20s, 10);
  EXPECT_EQ(later.state, SchedulerState::kStuck);
  EXPECT_GT(later.longest_step_s, 10);
  EXPECT_GT(later.oldest_wait_s, 10) << "the second task cannot get the only worker";
  hung.released_ = true;
  EXPECT_TRUE(eventually([&] { return waiting.steps_ == 1; }));
  EXPECT_EQ(scheduler.health(std::chrono::steady_clock::now() + 20s, 10).state,
            SchedulerState::kHealthy);
}

/// A source that produces `frames` frames at 5 fps of stream time, then ends.
class FakeSource final : public ingest::Source {
 public:
  explicit FakeSource(int frames) : frames_(frames) {}
  void start(std::function<void()> on_ready) override {
    on_ready_ = std::move(on_ready);
    on_ready_();
  }
  void stop() override { stopped_ = true; }
  ingest::StepResult step(Frame& out) override {
    if (stopped_ || produced_ >= frames_) return ingest::StepResult::kEnded;
    out.camera = "fake";
    out.pts_s = produced_ * 0.2;
    out.index = produced_;
    out.source_width = 640;
    out.source_height = 360;
    out.bgr = cv::Mat(180, 320, CV_8UC3, cv::Scalar(90, 100, 110));
    ++produced_;
    return ingest::StepResult::kFrame;
  }
  CameraHealth health() const override {
    CameraHealth h;
    h.state = produced_ >= frames_ ? CameraState::kEnded : CameraState::kLive;
    h.frames_analysed = static_cast<std::uint64_t>(produced_.load());
    return h;
  }
  const ingest::PacketRing& ring() const override { return ring_; }

 private:
  int frames_;
  std::atomic<int> produced_{0};
  std::atomic<bool> stopped_{false};
  std::function<void()> on_ready_;
  ingest::PacketRing ring_{1.0};
};

// The engine of `config`; a test cannot go on without one (gtest reports the exception).
std::unique_ptr<Engine> make_engine(const config::Config& config, EngineOptions options) {
  auto engine = Engine::create(config, std::move(options));
  if (!engine.is_ok()) throw std::runtime_error("Engine::create: " + engine.status().to_string());
  return std::move(*engine);
}

config::Config two_cameras() {
  config::Config c;
  config::CameraConfig a;
  a.id = "a";
  a.url = "a.mp4";
  a.analysis.fps = 5;
  a.rules.push_back(config::rule_defaults(EventType::kIntrusion));
  config::CameraConfig off = a;
  off.id = "off";
  off.enabled = false;
  c.cameras = {a, off};
  return c;
}

TEST(EngineTest, CreateSaysWhatIsMissingInsteadOfThrowing) {
  auto no_source = Engine::create(two_cameras(), EngineOptions{});
  ASSERT_FALSE(no_source.is_ok());
  EXPECT_EQ(no_source.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(no_source.status().message().find("make_source"), std::string::npos);

  config::Config with_detector = two_cameras();
  with_detector.detector = config::DetectorConfig{};
  with_detector.detector->model = "/nonexistent/vigie-engine-test.onnx";
  EngineOptions options;
  options.make_source = [](ingest::SourceOptions, const Clock&) {
    return std::make_unique<FakeSource>(1);
  };
  auto no_model = Engine::create(with_detector, std::move(options));
  ASSERT_FALSE(no_model.is_ok());
  EXPECT_NE(no_model.status().message().find("vigie-engine-test.onnx"), std::string::npos)
      << no_model.status().to_string();
}

TEST(EngineTest, RunsEveryFrameThroughAnalysisAndReportsStatus) {
  std::atomic<int> seen{0};
  EngineOptions options;
  options.workers = 2;
  options.make_source = [](ingest::SourceOptions o, const Clock&) {
    EXPECT_EQ(o.url, "a.mp4");
    EXPECT_DOUBLE_EQ(o.analysis_fps, 5.0);
    return std::make_unique<FakeSource>(40);
  };
  options.on_frame = [&](const config::CameraConfig& c, const Frame&) {
    EXPECT_EQ(c.id, "a");
    ++seen;
  };
  const auto built = make_engine(two_cameras(), std::move(options));
  Engine& engine = *built;
  engine.start();
  EXPECT_TRUE(eventually([&] { return engine.finished(); }));
  engine.stop();
  EXPECT_EQ(seen, 40);
  const auto status = engine.status();
  ASSERT_EQ(status.size(), 2u);
  EXPECT_EQ(status[0].health.state, CameraState::kEnded);
  EXPECT_TRUE(status[0].finished);
  EXPECT_EQ(status[1].health.state, CameraState::kStopped);
  EXPECT_EQ(status[1].health.reason, "disabled in configuration");
}

TEST(EngineTest, AStopTakesEffectWithinOneSecond) {
  // A live-like camera that never ends; the permit is flipped as a supervisor's stop would.
  std::atomic<bool> stopped{false};
  std::atomic<int> asked{0};
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> analysed;
  EngineOptions options;
  options.workers = 2;
  options.make_source = [](ingest::SourceOptions, const Clock&) {
    return std::make_unique<FakeSource>(1'000'000);
  };
  options.permit = [&](const CameraId&) {
    ++asked;
    govern::Permit p;
    p.analyse = !stopped;
    p.event_types = {EventType::kIntrusion};
    if (stopped) p.why_not = "stopped by test";
    return p;
  };
  options.on_frame = [&](const config::CameraConfig&, const Frame&) {
    std::lock_guard lock(mutex);
    analysed.push_back(std::chrono::steady_clock::now());
  };
  const auto built = make_engine(two_cameras(), std::move(options));
  Engine& engine = *built;
  engine.start();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(mutex);
    return analysed.size() > 20;
  }));
  const auto stop_at = std::chrono::steady_clock::now();
  stopped = true;
  const int asked_at_stop = asked;
  ASSERT_TRUE(eventually([&] { return asked > asked_at_stop + 20; }))
      << "frames keep coming and are checked";
  {
    std::lock_guard lock(mutex);
    const auto last = analysed.back();
    const double after_s = std::chrono::duration<double>(last - stop_at).count();
    EXPECT_LT(after_s, 1.0) << "a frame was analysed " << after_s << " s after the stop";
  }
  const auto status = engine.status();
  EXPECT_FALSE(status[0].analysing);
  EXPECT_EQ(status[0].not_analysed_reason, "stopped by test");
  engine.stop();
}

TEST(EngineTest, UpdateCameraSwapsTheAnalysisBetweenFramesWithoutLosingOne) {
  std::atomic<int> seen{0};
  EngineOptions options;
  options.workers = 2;
  options.make_source = [](ingest::SourceOptions, const Clock&) {
    return std::make_unique<FakeSource>(400);
  };
  options.on_frame = [&](const config::CameraConfig&, const Frame&) {
    ++seen;
    std::this_thread::sleep_for(200us);
  };
  const auto built = make_engine(two_cameras(), std::move(options));
  Engine& engine = *built;
  engine.start();
  ASSERT_TRUE(eventually([&] { return seen > 20; }));
  config::CameraConfig changed = *engine.camera_config("a");
  changed.zones.push_back({"z1", "new zone", {{0, 0}, {100, 0}, {100, 100}}, {}, {}});
  changed.rules[0].zones = {"z1"};
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(engine.update_camera(changed).is_ok());
    std::this_thread::sleep_for(2ms);
  }
  EXPECT_TRUE(eventually([&] { return engine.finished(); }));
  engine.stop();
  EXPECT_EQ(seen, 400);
  EXPECT_EQ(engine.stage_times().frames, 400u) << "frames of replaced analyses still count";
  ASSERT_TRUE(engine.camera_config("a").has_value());
  EXPECT_EQ(engine.camera_config("a")->zones.size(), 1u);
  EXPECT_EQ(engine.update_camera([] {
              config::CameraConfig c;
              c.id = "nope";
              return c;
            }())
                .code(),
            StatusCode::kNotFound);
  config::CameraConfig off = *engine.camera_config("off");
  off.name = "renamed while disabled";
  EXPECT_TRUE(engine.update_camera(off).is_ok());
  EXPECT_EQ(engine.camera_config("off")->name, "renamed while disabled");
}

// The rendered intrusion scene: someone enters the camera's zone at 13.4 s. Moving the zone
// to an empty corner through update_camera, before the first frame, means no alert at all.
TEST(EngineTest, UpdateCameraAppliesTheNewGeometryToTheAnalysis) {
  test::TempDir dir{"vigie-engine-update"};
  ASSERT_TRUE(synth::ensure_scenes({{"intrusion", 1, dir / "scene"}}).is_ok());
  auto loaded = config::load_camera_file(dir / "scene" / "camera.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text("camera.yaml");
  ASSERT_FALSE(loaded.camera->zones.empty());
  auto run = [&](bool move_zone) {
    config::Config config;
    config.cameras = {*loaded.camera};
    std::atomic<int> raised{0};
    EngineOptions options;
    options.workers = 1;
    options.pacing = ingest::Pacing::kAsFastAsPossible;
    options.make_source = ingest::make_source;
    options.on_alert = [&](const Alert& a, AlertChange change) {
      if (change == AlertChange::kRaised && a.type == EventType::kIntrusion) ++raised;
    };
    const auto built = make_engine(config, std::move(options));
    Engine& engine = *built;
    if (move_zone) {
      config::CameraConfig moved = config.cameras[0];
      for (auto& z : moved.zones) z.polygon = {{1, 1}, {12, 1}, {12, 12}, {1, 12}};
      EXPECT_TRUE(engine.update_camera(moved).is_ok());
    }
    engine.start();
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!engine.finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    engine.stop();
    return raised.load();
  };
  EXPECT_GE(run(false), 1) << "the configured zone sees the intruder";
  EXPECT_EQ(run(true), 0) << "the moved zone is what the analysis uses";
}

// The rendered intrusion scene: with an analysis mask over the track zone, the intruder walks
// only inside the mask and nothing is raised; the same mask moved beside the zone leaves
// the intrusion seen.
TEST(EngineTest, AnalysisMasksHideMotionFromEveryRule) {
  test::TempDir dir{"vigie-engine-masks"};
  ASSERT_TRUE(synth::ensure_scenes({{"intrusion", 1, dir / "scene"}}).is_ok());
  auto loaded = config::load_camera_file(dir / "scene" / "camera.yaml");
  ASSERT_TRUE(loaded.ok()) << loaded.error_text("camera.yaml");
  ASSERT_FALSE(loaded.camera->zones.empty());
  // The zone and the tripwire on its edge, with a margin: where the intruder goes.
  const cv::Rect2d zone = bounding_box(loaded.camera->zones[0].polygon);
  const cv::Rect2d over(zone.x - 40, zone.y - 40, zone.width + 80, zone.height + 80);
  auto raised_with_mask = [&](const cv::Rect2d& m) {
    config::Config config;
    config.cameras = {*loaded.camera};
    config.cameras[0].analysis_masks = {
        {{m.x, m.y}, {m.x + m.width, m.y}, {m.x + m.width, m.y + m.height}, {m.x, m.y + m.height}}};
    std::atomic<int> raised{0};
    EngineOptions options;
    options.workers = 1;
    options.pacing = ingest::Pacing::kAsFastAsPossible;
    options.make_source = ingest::make_source;
    options.on_alert = [&](const Alert&, AlertChange change) {
      if (change == AlertChange::kRaised) ++raised;
    };
    const auto built = make_engine(config, std::move(options));
    Engine& engine = *built;
    engine.start();
    const auto deadline = std::chrono::steady_clock::now() + 120s;
    while (!engine.finished() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(20ms);
    }
    engine.stop();
    return raised.load();
  };
  EXPECT_EQ(raised_with_mask(over), 0) << "motion inside the mask raises nothing";
  const cv::Rect2d beside(std::max(0.0, over.x - over.width - 20), over.y, over.width, over.height);
  ASSERT_LE(beside.x + beside.width, over.x) << "the control mask must not touch the zone";
  EXPECT_GE(raised_with_mask(beside), 1) << "the same motion outside it is seen";
}

TEST(EngineTest, OneCameraStartsAndStopsAtRunTimeWhileAnotherRuns) {
  config::Config c = two_cameras();
  c.cameras[1].id = "b";
  c.cameras[1].enabled = true;
  std::mutex mutex;
  std::map<CameraId, int> frames;
  std::atomic<int> sources{0};
  EngineOptions options;
  options.workers = 2;
  options.start_all = false;
  options.make_source = [&](ingest::SourceOptions, const Clock&) {
    ++sources;
    return std::make_unique<FakeSource>(1'000'000);
  };
  options.on_frame = [&](const config::CameraConfig& cam, const Frame&) {
    std::lock_guard lock(mutex);
    ++frames[cam.id];
  };
  auto count = [&](const CameraId& id) {
    std::lock_guard lock(mutex);
    return frames[id];
  };
  const auto built = make_engine(c, std::move(options));
  Engine& engine = *built;
  engine.start();
  EXPECT_FALSE(engine.camera_running("a"));
  EXPECT_EQ(engine.status()[0].health.state, CameraState::kStopped);
  ASSERT_TRUE(engine.start_camera("a").is_ok());
  ASSERT_TRUE(engine.start_camera("b").is_ok());
  ASSERT_TRUE(eventually([&] { return count("a") > 10 && count("b") > 10; }));

  ASSERT_TRUE(engine.stop_camera("a", "leased to node x").is_ok());
  EXPECT_FALSE(engine.camera_running("a"));
  const int a_after_stop = count("a");
  const int b_at_stop = count("b");
  ASSERT_TRUE(eventually([&] { return count("b") > b_at_stop + 10; })) << "b was disturbed";
  EXPECT_EQ(count("a"), a_after_stop) << "a frame was analysed after stop_camera returned";
  EXPECT_EQ(engine.status()[0].health.reason, "leased to node x");
  EXPECT_NE(engine.ring("a"), nullptr) << "the stopped camera's ring stays for evidence";

  // Started again: a new input (the old one is never restarted), frames flow again.
  ASSERT_TRUE(engine.start_camera("a").is_ok());
  ASSERT_TRUE(eventually([&] { return count("a") > a_after_stop + 10; }));
  EXPECT_EQ(sources.load(), 3);
  EXPECT_EQ(engine.start_camera("nope").code(), StatusCode::kNotFound);
  engine.stop();
}

TEST(EngineTest, SourceOptionsFollowTheCameraConfiguration) {
  config::CameraConfig c;
  c.url = "rtsp://h/x";
  c.input.rtsp_transport = config::RtspTransport::kUdp;
  c.input.realtime = false;
  c.input.skip_non_reference = true;
  c.analysis.width = 480;
  c.input.backoff_max_s = 60;
  c.input.queue_packets = 250;
  const auto o = source_options(c);
  EXPECT_DOUBLE_EQ(o.backoff_max_s, 60.0);
  EXPECT_EQ(o.queue_packets, 250);
  EXPECT_EQ(o.rtsp_transport, ingest::Transport::kUdp);
  EXPECT_EQ(o.pacing, ingest::Pacing::kAsFastAsPossible);
  EXPECT_TRUE(o.skip_non_reference);
  EXPECT_EQ(o.analysis_width, 480);
  EXPECT_EQ(source_options(c, ingest::Pacing::kRealtime).pacing, ingest::Pacing::kRealtime);
}

}  // namespace
}  // namespace vigie::engine
